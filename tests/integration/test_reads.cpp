#include "tests/integration/sluice_process.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <set>

using sluice::testing::sluice_process;
using json = nlohmann::json;

namespace {

// Stores events as one NDJSON batch and checks every one was stored.
void store_all(sluice_process& s, const std::string& key, const std::vector<json>& events) {
  std::string body;
  for (auto& e : events) body += e.dump() + "\n";
  auto res = s.post("/v1/events/batch", body, key, {{"Content-Type", "application/x-ndjson"}});
  REQUIRE(res.status == 200);
  REQUIRE(json::parse(res.body)["stored"] == events.size());
}

json get_json(sluice_process& s, const std::string& target, const std::string& key, int status = 200) {
  auto res = s.get(target, key);
  INFO(target << " → " << res.status << " " << res.body);
  REQUIRE(res.status == status);
  return json::parse(res.body);
}

std::vector<int> seqs(const json& page) {
  std::vector<int> out;
  for (auto& e : page["events"]) out.push_back(e["seq"]);
  return out;
}

json ev(const std::string& type, const std::string& ts, const std::string& session = "",
        const std::string& id = "", json props = nullptr) {
  json e{{"event_type", type}, {"timestamp", ts}};
  if (!session.empty()) e["session_id"] = session;
  if (!id.empty()) e["event_id"] = id;
  if (!props.is_null()) e["properties"] = props;
  return e;
}

}  // namespace

TEST_CASE("reads: filters by type, session, time window and text combine", "[integration]") {
  sluice_process s;
  auto key = s.create_tenant("acme");
  store_all(s, key,
            {ev("login", "2026-01-01T10:00:00Z", "s1", "e1", {{"plan", "pro"}}),
             ev("view", "2026-01-01T11:00:00Z", "s1", "e2", {{"path", "/home"}}),
             ev("login", "2026-01-02T10:00:00Z", "s2", "e3", {{"plan", "free"}}),
             ev("view", "2026-01-02T11:00:00Z", "s2", "e4", {{"path", "/pricing"}}),
             ev("login", "2026-01-03T10:00:00Z", "s1", "e5", {{"plan", "pro"}})});
  CHECK(seqs(get_json(s, "/v1/events?event_type=login", key)) == std::vector<int>{1, 3, 5});
  CHECK(seqs(get_json(s, "/v1/events?session_id=s1", key)) == std::vector<int>{1, 2, 5});
  CHECK(seqs(get_json(s, "/v1/events?session_id=s1&event_type=login", key)) == std::vector<int>{1, 5});
  CHECK(seqs(get_json(s, "/v1/events?q=pro", key)) == std::vector<int>{1, 5});
  CHECK(seqs(get_json(s, "/v1/events?q=pro&from=2026-01-02T00:00:00Z", key)) == std::vector<int>{5});
  // [from, to): an event exactly at `from` is in, one exactly at `to` is out.
  CHECK(seqs(get_json(s, "/v1/events?from=2026-01-01T11:00:00Z&to=2026-01-02T11:00:00Z", key)) ==
        std::vector<int>{2, 3});
  CHECK(seqs(get_json(s, "/v1/events?event_type=view&session_id=s2&q=pricing", key)) == std::vector<int>{4});
  auto page = get_json(s, "/v1/events?event_type=nothing", key);
  CHECK(page["events"].empty());
  CHECK(page["next_after_seq"].is_null());
}

TEST_CASE("reads: pages follow next_after_seq with no gap and no repeat", "[integration]") {
  sluice_process s;
  auto key = s.create_tenant("acme");
  std::vector<json> events;
  for (int i = 0; i < 53; ++i)
    events.push_back(ev(i % 3 ? "view" : "login", "2026-01-01T10:00:00Z", "s" + std::to_string(i % 2),
                        "e" + std::to_string(i)));
  store_all(s, key, events);
  for (std::string filter : {"", "&event_type=view", "&session_id=s1"}) {
    std::vector<int> all;
    std::string after = "0";
    for (int pages = 0; pages < 100; ++pages) {
      auto page = get_json(s, "/v1/events?limit=7&after_seq=" + after + filter, key);
      for (int seq : seqs(page)) all.push_back(seq);
      CHECK(page["events"].size() <= 7);
      if (page["next_after_seq"].is_null()) break;
      after = std::to_string(page["next_after_seq"].get<int>());
    }
    std::vector<int> expected;
    for (int i = 0; i < 53; ++i) {
      bool is_view = i % 3 != 0, in_s1 = i % 2 == 1;
      if (filter.empty() || (filter == "&event_type=view" && is_view) || (filter == "&session_id=s1" && in_s1))
        expected.push_back(i + 1);
    }
    INFO("filter " << filter);
    CHECK(all == expected);
  }
}

TEST_CASE("reads: an event by event_id, count and stats over a from-to window, sessions", "[integration]") {
  sluice_process s;
  auto key = s.create_tenant("acme");
  store_all(s, key,
            {ev("login", "2026-01-01T00:00:00Z", "s1", "first"), ev("login", "2026-01-01T12:00:00Z", "s1"),
             ev("view", "2026-01-01T13:00:00Z", "s1"), ev("login", "2026-01-02T00:00:00Z", "s2")});
  auto e = get_json(s, "/v1/events/first", key);
  CHECK(e["seq"] == 1);
  CHECK(e["tenant_id"] == "acme");
  CHECK(e["event_type"] == "login");
  get_json(s, "/v1/events/missing", key, 404);

  auto day = "from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z";
  CHECK(get_json(s, std::string("/v1/count?event_type=login&") + day, key) ==
        json{{"event_type", "login"}, {"count", 2}});
  CHECK(get_json(s, "/v1/count?event_type=login", key)["count"] == 3);
  CHECK(get_json(s, std::string("/v1/stats?") + day, key) ==
        json{{"total", 3}, {"by_type", {{"login", 2}, {"view", 1}}}});
  CHECK(get_json(s, "/v1/stats", key)["total"] == 4);

  auto session = get_json(s, "/v1/sessions/s1", key);
  CHECK(session == json{{"session_id", "s1"},
                        {"first_seen", "2026-01-01T00:00:00Z"},
                        {"last_seen", "2026-01-01T13:00:00Z"},
                        {"event_count", 3},
                        {"event_types", {{"login", 2}, {"view", 1}}}});
  get_json(s, "/v1/sessions/nope", key, 404);
}

TEST_CASE("reads: another tenant's objects answer 404 exactly like missing ones", "[integration]") {
  sluice_process s;
  auto a = s.create_tenant("alpha");
  auto b = s.create_tenant("beta");
  store_all(s, b, {ev("secret", "2026-01-01T00:00:00Z", "b-session", "b-event")});
  auto theirs = s.get("/v1/events/b-event", a);
  auto nowhere = s.get("/v1/events/no-such-event", a);
  CHECK(theirs.status == 404);
  CHECK(theirs.body == nowhere.body);
  CHECK(s.get("/v1/sessions/b-session", a).status == 404);
  CHECK(get_json(s, "/v1/events", a)["events"].empty());
  CHECK(get_json(s, "/v1/events?session_id=b-session", a)["events"].empty());
  CHECK(get_json(s, "/v1/stats", a)["total"] == 0);
  CHECK(get_json(s, "/v1/count?event_type=secret", a)["count"] == 0);
  // tenant_id in the query cannot widen access
  CHECK(get_json(s, "/v1/events?tenant_id=beta", a)["events"].empty());
  CHECK(s.get("/v1/events", "").status == 401);
}

TEST_CASE("reads: bad query parameters answer 400 naming the field", "[integration]") {
  sluice_process s;
  auto key = s.create_tenant("acme");
  auto field_of = [&](const std::string& target) {
    auto res = s.get(target, key);
    INFO(target << " → " << res.body);
    CHECK(res.status == 400);
    return json::parse(res.body)["error"]["field"].get<std::string>();
  };
  CHECK(field_of("/v1/events?from=yesterday") == "from");
  CHECK(field_of("/v1/events?to=2026-13-01T00:00:00Z") == "to");
  CHECK(field_of("/v1/events?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z") == "from");
  CHECK(field_of("/v1/events?limit=0") == "limit");
  CHECK(field_of("/v1/events?limit=1001") == "limit");
  CHECK(field_of("/v1/events?limit=ten") == "limit");
  CHECK(field_of("/v1/events?after_seq=-1") == "after_seq");
  CHECK(field_of("/v1/count?from=2026-01-01T00:00:00Z") == "event_type");
  CHECK(field_of("/v1/stats?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z") == "from");
  CHECK(field_of("/v1/export?to=never") == "to");
}

TEST_CASE("reads: export streams NDJSON in seq order, over HTTP and from the CLI while serving", "[integration]") {
  sluice_process s;
  auto key = s.create_tenant("acme");
  std::vector<json> events;
  for (int i = 0; i < 2500; ++i)  // more than one page of 1000
    events.push_back(ev("view", i < 1200 ? "2026-01-01T10:00:00Z" : "2026-01-02T10:00:00Z", "",
                        "e" + std::to_string(i)));
  for (std::size_t i = 0; i < events.size(); i += 1000)
    store_all(s, key, std::vector<json>(events.begin() + i, events.begin() + std::min(events.size(), i + 1000)));

  auto res = s.get("/v1/export?to=2026-01-02T00:00:00Z", key);
  REQUIRE(res.status == 200);
  CHECK(res.headers["content-type"] == "application/x-ndjson");
  CHECK(res.headers["transfer-encoding"] == "chunked");
  auto lines_of = [](const std::string& text) {
    std::vector<json> out;
    std::size_t start = 0;
    for (auto end = text.find('\n'); end != std::string::npos; start = end + 1, end = text.find('\n', start))
      out.push_back(json::parse(text.substr(start, end - start)));
    return out;
  };
  auto lines = lines_of(res.body);
  REQUIRE(lines.size() == 1200);
  for (std::size_t i = 0; i < lines.size(); ++i) CHECK(lines[i]["seq"] == i + 1);

  std::string cmd = std::string(SLUICE_BINARY) + " export --tenant acme --from 2026-01-02T00:00:00Z --data " +
                    s.data_dir();
  std::string out;
  FILE* pipe = ::popen(cmd.c_str(), "r");
  REQUIRE(pipe);
  char buf[65536];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;) out.append(buf, n);
  CHECK(::pclose(pipe) == 0);
  auto cli_lines = lines_of(out);
  REQUIRE(cli_lines.size() == 1300);
  CHECK(cli_lines.front()["seq"] == 1201);
  CHECK(cli_lines.back()["seq"] == 2500);
  CHECK(s.get("/healthz").status == 200);  // the server kept serving
}
