// Ingestion: POST /v1/events, /v1/events/batch, /v1/encode.
// Parsing and validation run here, on the io thread; storing goes through the node (tenant actor,
// then writer shard) and the reply is written when the node answers.
#include "http/event_validation.hpp"
#include "http/gzip.hpp"
#include "http/responses.hpp"
#include "http/routes.hpp"
#include "store/secrets.hpp"
#include "store/timestamp.hpp"

#include <boost/beast/http/field.hpp>

namespace sluice {

namespace http = boost::beast::http;

namespace {

http_response unauthorized() {
  return error_response(401, "unauthorized", "missing, unknown or revoked API key");
}

http_response to_response(const validation_error& e) {
  return error_response(e.status, e.code, e.message, e.field);
}

// ?ack=durable (default) | received, or ?wait=false. nullopt: a bad value (answered already).
std::optional<bool> durable_ack(route_call& call) {
  auto ack = call.query.find("ack");
  auto wait = call.query.find("wait");
  if (ack != call.query.end()) {
    if (ack->second == "durable") return true;
    if (ack->second == "received") return false;
    call.respond(
        error_response(400, "invalid_parameter", "ack must be durable or received", "ack"));
    return std::nullopt;
  }
  if (wait != call.query.end()) {
    if (wait->second == "true") return true;
    if (wait->second == "false") return false;
    call.respond(error_response(400, "invalid_parameter", "wait must be true or false", "wait"));
    return std::nullopt;
  }
  return true;
}

// The tenant label of what is refused before the key is looked up.
constexpr const char* unknown_tenant = "unknown";

// Counts refusals and latency of an ingest request (stored and duplicate events are counted by
// the tenant actor, which also sees ack=received writes), and names the tenant in the access log.
void record(node_metrics& metrics, const ingest_reply& r,
            std::chrono::steady_clock::time_point started,
            const std::shared_ptr<request_info>& info) {
  auto tenant = r.tenant.empty() ? std::string(unknown_tenant) : r.tenant;
  if (info) info->tenant = r.tenant;
  if (r.error) {
    metrics.rejected(tenant, r.error->code);
    return;
  }
  metrics.ingest_latency(
      tenant, std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
}

// A tenant whose bucket is known to be empty is refused here, before its request is parsed or
// reaches an actor: a flood costs the edge little and the actors nothing. True: answered.
bool refused_at_edge(route_call& call, const credential& who) {
  auto refusal = call.ctx.refusals.check(who, std::chrono::steady_clock::now());
  if (!refusal) return false;
  auto& metrics = call.ctx.n.metrics();
  metrics.rate_limited(refusal->tenant);
  metrics.rejected(refusal->tenant, refusal->error.code);
  if (call.info) {
    call.info->tenant = refusal->tenant;
    call.info->log_line = refusal->log_line;
    call.info->unlogged = refusal->unlogged;
  }
  call.respond(error_response(refusal->error));
  return true;
}

// Wraps an ingest callback so a 429 whose bucket stays empty is remembered at the edge.
ingest_callback remembering_refusals(route_call& call, const credential& who,
                                     ingest_callback next) {
  auto* refusals = &call.ctx.refusals;
  auto generation = refusals->generation();
  return [refusals, generation, who, next = std::move(next)](ingest_reply r) {
    if (r.error && r.bucket_empty_for.count() > 0)
      refusals->remember(who, {r.tenant, *r.error},
                         std::chrono::steady_clock::now() + r.bucket_empty_for, generation);
    next(std::move(r));
  };
}

journal_event to_journal(validated_event&& e) {
  return {sha256(e.dedup_key).substr(0, 16), std::move(e.body),     std::move(e.event_type),
          std::move(e.session_id),           std::move(e.event_id), e.timestamp_us};
}

void append_outcome(std::string& out, std::size_t index, const event_outcome& o) {
  out += "{\"index\":" + std::to_string(index) + ",\"status\":\"";
  out += o.duplicate ? "duplicate" : "stored";
  out += "\",\"seq\":" + std::to_string(o.seq) + "}";
}

void append_rejection(std::string& out, std::size_t index, const validation_error& e) {
  out += "{\"index\":" + std::to_string(index) + ",\"status\":\"rejected\",\"error\":{\"code\":";
  append_json_string(out, e.code);
  if (!e.field.empty()) {
    out += ",\"field\":";
    append_json_string(out, e.field);
  }
  out += ",\"message\":";
  append_json_string(out, e.message);
  out += "}}";
}

}  // namespace

void post_event(route_call& call) {
  if (!content_type_is(call.req, "application/json"))
    return call.respond(
        error_response(415, "unsupported_media_type", "Content-Type must be application/json"));
  auto who = tenant_credential(call);
  if (!who) return call.respond(unauthorized());
  if (refused_at_edge(call, *who)) return;
  auto durable = durable_ack(call);
  if (!durable) return;
  auto idempotency_key = call.req["Idempotency-Key"];
  event_context ctx{now_micros(), {idempotency_key.data(), idempotency_key.size()}};
  auto result = validate_single(call.req.body(), ctx);
  auto& metrics = call.ctx.n.metrics();
  if (auto* err = std::get_if<validation_error>(&result)) {
    metrics.rejected(unknown_tenant, err->code);  // judged before the key was looked up
    return call.respond(to_response(*err));
  }

  std::vector<journal_event> events;
  events.push_back(to_journal(std::get<validated_event>(std::move(result))));
  auto respond = call.respond;
  auto info = call.info;
  auto started = std::chrono::steady_clock::now();
  auto reply = [=, &metrics](ingest_reply r) {
    record(metrics, r, started, info);
    if (r.error) return respond(error_response(*r.error));
    if (r.accepted) return respond(json_response(202, R"({"status":"accepted"})"));
    auto& o = r.outcomes.at(0);
    respond(json_response(o.duplicate ? 200 : 201,
                          std::string(o.duplicate ? R"({"status":"duplicate","seq":)"
                                                  : R"({"status":"stored","seq":)") +
                              std::to_string(o.seq) + "}"));
  };
  auto callback = remembering_refusals(call, *who, std::move(reply));
  call.ctx.n.ingest(std::move(*who), std::move(events), *durable, std::move(callback));
}

void post_batch(route_call& call) {
  bool ndjson = content_type_is(call.req, "application/x-ndjson");
  if (!ndjson && !content_type_is(call.req, "application/json"))
    return call.respond(
        error_response(415, "unsupported_media_type",
                       "Content-Type must be application/json or application/x-ndjson"));
  auto who = tenant_credential(call);
  if (!who) return call.respond(unauthorized());
  if (refused_at_edge(call, *who)) return;
  auto durable = durable_ack(call);
  if (!durable) return;

  std::string decoded;
  std::string_view body = call.req.body();
  auto encoding = call.req[http::field::content_encoding];
  if (boost::beast::iequals(encoding, "gzip")) {
    switch (gunzip(body, call.ctx.cfg.max_body_bytes, decoded)) {
      case gunzip_status::too_large:
        return call.respond(
            error_response(413, "payload_too_large", "decoded batch is over the limit"));
      case gunzip_status::corrupt:
        return call.respond(error_response(400, "invalid_gzip", "body is not valid gzip"));
      case gunzip_status::ok:
        body = decoded;
    }
  } else if (!encoding.empty() && !boost::beast::iequals(encoding, "identity")) {
    return call.respond(
        error_response(415, "unsupported_media_type", "Content-Encoding must be gzip or identity"));
  }

  event_context ctx{now_micros(), {}};
  auto parsed = validate_batch(body, ndjson, ctx, call.ctx.cfg.max_batch_events);
  if (auto* err = std::get_if<validation_error>(&parsed)) return call.respond(to_response(*err));
  auto results = std::get<std::vector<event_result>>(std::move(parsed));

  // Valid events go to the journal; rejected ones are reported by index.
  auto rejected = std::make_shared<std::vector<std::pair<std::size_t, validation_error>>>();
  auto stored_index = std::make_shared<std::vector<std::size_t>>();
  std::vector<journal_event> events;
  for (std::size_t i = 0; i < results.size(); ++i) {
    if (auto* err = std::get_if<validation_error>(&results[i])) {
      rejected->emplace_back(i, std::move(*err));
    } else {
      stored_index->push_back(i);
      events.push_back(to_journal(std::get<validated_event>(std::move(results[i]))));
    }
  }
  auto total = results.size();
  auto respond = call.respond;
  bool is_durable = *durable;
  auto& metrics = call.ctx.n.metrics();
  auto info = call.info;
  auto started = std::chrono::steady_clock::now();
  auto reply = [=, &metrics](const ingest_reply& r) {
    record(metrics, r, started, info);
    for (auto& [index, err] : *rejected)
      metrics.rejected(r.tenant.empty() ? unknown_tenant : r.tenant, err.code);
    if (r.error) return respond(error_response(*r.error));
    std::size_t stored = 0, duplicates = 0;
    for (auto& o : r.outcomes) (o.duplicate ? duplicates : stored)++;
    std::string out;
    out.reserve(64 + total * 48);
    if (is_durable) {
      out +=
          "{\"stored\":" + std::to_string(stored) + ",\"duplicates\":" + std::to_string(duplicates);
    } else {
      out += "{\"status\":\"accepted\",\"accepted\":" + std::to_string(stored_index->size());
    }
    out += ",\"rejected\":" + std::to_string(rejected->size()) + ",\"results\":[";
    std::size_t next_ok = 0, next_bad = 0;
    bool first = true;
    for (std::size_t i = 0; i < total; ++i) {
      bool is_rejected = next_bad < rejected->size() && (*rejected)[next_bad].first == i;
      if (!is_rejected && !is_durable) {
        ++next_ok;
        continue;  // ack=received reports only the rejected events
      }
      if (!first) out += ',';
      first = false;
      if (is_rejected)
        append_rejection(out, i, (*rejected)[next_bad++].second);
      else
        append_outcome(out, i, r.outcomes.at(next_ok++));
    }
    out += "]}";
    respond(json_response(is_durable ? 200 : 202, std::move(out)));
  };
  if (events.empty()) {  // nothing to store, but the caller must still be a tenant
    return call.ctx.n.authenticate(std::move(*who), [=](std::optional<tenant_record> t) {
      if (!t) return respond(unauthorized());
      reply(ingest_reply{t->id, std::nullopt, !is_durable, {}});
    });
  }
  auto callback = remembering_refusals(call, *who, reply);
  call.ctx.n.ingest(std::move(*who), std::move(events), is_durable, std::move(callback));
}

void post_encode(route_call& call) {
  if (!content_type_is(call.req, "application/json"))
    return call.respond(
        error_response(415, "unsupported_media_type", "Content-Type must be application/json"));
  auto who = tenant_credential(call);
  if (!who) return call.respond(unauthorized());
  auto encoded = encode_event(call.req.body(), event_context{now_micros(), {}});
  auto respond = call.respond;
  call.ctx.n.authenticate(std::move(*who),
                          [respond, encoded = std::move(encoded)](std::optional<tenant_record> t) {
                            if (!t) return respond(unauthorized());
                            if (auto* err = std::get_if<validation_error>(&encoded))
                              return respond(to_response(*err));
                            std::string out = "{\"payload\":";
                            append_json_string(out, std::get<std::string>(encoded));
                            respond(json_response(200, out + "}"));
                          });
}

}  // namespace sluice
