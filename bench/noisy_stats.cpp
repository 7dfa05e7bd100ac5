#include "bench/noisy_stats.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

namespace sluice::bench {
namespace {

using json = nlohmann::json;

double ms(std::int64_t us) {
  return std::round(static_cast<double>(us) / 10.0) / 100.0;
}

// Nearest-rank percentile of sorted values: a value that was actually observed, never an
// interpolation, so p99.9 of 20 000 samples is the 20th-worst one.
std::int64_t percentile(const std::vector<std::int64_t>& sorted, double q) {
  if (sorted.empty()) return 0;
  auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  return sorted[std::min(sorted.size(), std::max<std::size_t>(rank, 1)) - 1];
}

std::string status_name(int status) {
  if (status == status_conn_error) return "conn_error";
  if (status == status_unanswered) return "unanswered";
  return std::to_string(status);
}

struct accumulator {
  std::vector<std::int64_t> latency, lag;
  std::map<int, long> refused;  // everything but 201 and 200 (duplicate)
  long sent = 0, stored = 0, duplicates = 0;
  int tenants = 0;

  void add(const sample& s) {
    ++sent;
    latency.push_back(s.latency_us);
    lag.push_back(s.lag_us);
    if (s.status == 201)
      ++stored;
    else if (s.status == 200)
      ++duplicates;
    else
      ++refused[s.status];
  }

  // Unanswered requests stay in the percentiles with the time they had waited at the deadline:
  // a lower bound, but dropping them would hide exactly the stalls this harness looks for.
  json latency_json() {
    std::sort(latency.begin(), latency.end());
    std::sort(lag.begin(), lag.end());
    return {{"p50_ms", ms(percentile(latency, 0.50))},
            {"p99_ms", ms(percentile(latency, 0.99))},
            {"p999_ms", ms(percentile(latency, 0.999))},
            {"max_ms", latency.empty() ? 0.0 : ms(latency.back())},
            {"send_lag_p99_ms", ms(percentile(lag, 0.99))}};
  }

  json rejections_json() const {
    json out = json::object();
    for (auto& [status, n] : refused) out[status_name(status)] = n;
    return out;
  }
};

const json* class_entry(const json& scenario, const std::string& cls) {
  for (auto& t : scenario.at("tenants"))
    if (t.at("class") == cls) return &t;
  return nullptr;
}

}  // namespace

json summarize(const json& scenario, const std::vector<tenant_samples>& tenants,
               double duration_sec) {
  auto window_us = static_cast<std::int64_t>(duration_sec * 1e6);
  auto seconds = static_cast<std::size_t>(std::ceil(duration_sec));
  std::map<std::string, accumulator> classes;
  std::map<std::string, std::map<int, accumulator>> shards;
  std::map<std::string, std::vector<std::vector<std::int64_t>>> per_second;
  json tenant_rows = json::array();
  for (auto& t : tenants) {
    accumulator own;
    auto& cls = classes[t.cls];
    auto& shard = shards[t.cls][t.shard];
    auto& buckets = per_second[t.cls];
    buckets.resize(seconds);
    ++cls.tenants;
    ++shard.tenants;
    for (auto& s : t.samples) {
      if (s.intended_us < 0 || s.intended_us >= window_us) continue;  // warm-up or drain
      cls.add(s);
      shard.add(s);
      own.add(s);
      buckets[static_cast<std::size_t>(s.intended_us / 1000000)].push_back(s.latency_us);
    }
    auto latency = own.latency_json();
    tenant_rows.push_back({{"id", t.id},
                           {"class", t.cls},
                           {"shard", t.shard},
                           {"sent", own.sent},
                           {"stored", own.stored},
                           {"p99_ms", latency["p99_ms"]},
                           {"rejections", own.rejections_json()}});
  }

  json out_classes = json::object();
  for (auto& [name, acc] : classes) {
    json c = {{"tenants", acc.tenants},
              {"sent", acc.sent},
              {"stored", acc.stored},
              {"duplicates", acc.duplicates},
              {"stored_per_sec", std::round(acc.stored / duration_sec * 10) / 10},
              {"latency", acc.latency_json()},
              {"rejections", acc.rejections_json()}};
    if (auto* entry = class_entry(scenario, name)) {
      c["offered_per_sec"] = entry->at("rate").get<double>() * acc.tenants;
      c["quota_per_sec"] = entry->at("rate_limit").at("events_per_sec").get<double>() * acc.tenants;
    }
    json by_shard = json::object();
    for (auto& [shard, sacc] : shards[name]) {
      auto latency = sacc.latency_json();
      by_shard[std::to_string(shard)] = {
          {"tenants", sacc.tenants}, {"p50_ms", latency["p50_ms"]}, {"p99_ms", latency["p99_ms"]}};
    }
    c["by_shard"] = by_shard;
    json p99 = json::array(), p50 = json::array();
    for (auto& bucket : per_second[name]) {
      std::sort(bucket.begin(), bucket.end());
      p99.push_back(ms(percentile(bucket, 0.99)));
      p50.push_back(ms(percentile(bucket, 0.50)));
    }
    c["p99_per_second_ms"] = p99;
    c["p50_per_second_ms"] = p50;
    out_classes[name] = c;
  }
  return {{"name", scenario.at("name")},
          {"title", scenario.value("title", "")},
          {"server_env", scenario.value("server_env", json::object())},
          {"duration_sec", duration_sec},
          {"classes", out_classes},
          {"tenants", tenant_rows}};
}

namespace {

const json* find_scenario(const std::vector<json>& all, const std::string& name) {
  for (auto& s : all)
    if (s.at("name") == name) return &s;
  return nullptr;
}

const json* find_class(const json* scenario, const std::string& cls) {
  if (!scenario || !scenario->at("classes").contains(cls)) return nullptr;
  return &scenario->at("classes").at(cls);
}

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string rejections_text(const json& r) {
  if (r.empty()) return "none";
  std::string out;
  for (auto& [status, n] : r.items())
    out += (out.empty() ? "" : ", ") + status + ": " + std::to_string(n.get<long>());
  return out;
}

long rejection_count(const json* cls) {
  long n = 0;
  if (cls)
    for (auto& [status, count] : cls->at("rejections").items()) n += count.get<long>();
  return n;
}

std::string gnuplot_quote(std::string s) {
  std::replace(s.begin(), s.end(), '\'', '`');
  return "'" + s + "'";
}

}  // namespace

std::string write_report(const std::vector<json>& summaries, const json& context,
                         const report_paths& out) {
  auto compare = context.value("compare", json::object());
  auto targets = context.value("targets", json::object());
  std::string quiet = compare.value("class", "quiet");
  std::string heavy = compare.value("heavy_class", "heavy");
  std::string base = compare.value("baseline", "a");
  std::string noisy = compare.value("noisy", "b");
  std::string unfair = compare.value("unfair", "c");
  double max_ratio = targets.value("max_quiet_p99_ratio", 1.2);
  double tolerance = targets.value("heavy_quota_tolerance", 0.05);

  auto p99_of = [&](const std::string& scenario) -> double {
    auto* c = find_class(find_scenario(summaries, scenario), quiet);
    return c ? c->at("latency").at("p99_ms").get<double>() : 0.0;
  };
  auto ratio = [&](const std::string& scenario) -> json {
    double denominator = p99_of(base);
    if (denominator <= 0 || !find_scenario(summaries, scenario)) return nullptr;
    return std::round(p99_of(scenario) / denominator * 1000) / 1000;
  };
  json ratios = {{"quiet_p99_" + noisy + "_over_" + base, ratio(noisy)},
                 {"quiet_p99_" + unfair + "_over_" + base, ratio(unfair)}};

  // Targets are judged on the noisy scenario with fairness on; null when it (or the baseline)
  // was not run, so a partial run never reads as a pass.
  auto* noisy_quiet = find_class(find_scenario(summaries, noisy), quiet);
  auto* noisy_heavy = find_class(find_scenario(summaries, noisy), heavy);
  json met = {{"quiet_p99_ratio", nullptr},
              {"zero_quiet_rejections", nullptr},
              {"heavy_at_quota", nullptr}};
  json noisy_ratio = ratio(noisy);
  if (noisy_ratio.is_number()) met["quiet_p99_ratio"] = noisy_ratio.get<double>() <= max_ratio;
  long quiet_refused = rejection_count(noisy_quiet);
  if (noisy_quiet) met["zero_quiet_rejections"] = quiet_refused == 0;
  double heavy_rate = 0, quota = 0;
  if (noisy_heavy) {
    heavy_rate = noisy_heavy->at("stored_per_sec").get<double>();
    quota = noisy_heavy->value("quota_per_sec", 0.0);
  }
  double deviation = quota > 0 ? heavy_rate / quota - 1 : 0;
  if (quota > 0) met["heavy_at_quota"] = std::fabs(deviation) <= tolerance;

  json all = context;
  all["scenarios"] = summaries;
  all["ratios"] = ratios;
  all["targets_met"] = met;
  std::ofstream(out.json) << all.dump(2) << "\n";

  std::ostringstream md;
  md << "| scenario | class | tenants | offered/s | sent | stored/s | p50 ms | p99 ms | p99.9 ms | "
        "rejections by status | send lag p99 ms |\n"
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|\n";
  for (auto& s : summaries)
    for (auto& [name, c] : s.at("classes").items()) {
      auto& l = c.at("latency");
      md << "| " << s.at("name").get<std::string>() << ": " << s.at("title").get<std::string>()
         << " | " << name << " | " << c.at("tenants") << " | "
         << fixed(c.value("offered_per_sec", 0.0), 0) << " | " << c.at("sent") << " | "
         << fixed(c.at("stored_per_sec").get<double>(), 1) << " | "
         << fixed(l.at("p50_ms").get<double>(), 2) << " | "
         << fixed(l.at("p99_ms").get<double>(), 2) << " | "
         << fixed(l.at("p999_ms").get<double>(), 2) << " | " << rejections_text(c.at("rejections"))
         << " | " << fixed(l.at("send_lag_p99_ms").get<double>(), 2) << " |\n";
    }
  auto ratio_text = [](const json& r) { return r.is_number() ? fixed(r.get<double>(), 2) : "n/a"; };
  auto yes = [](const json& b) {
    return b.is_null() ? "n/a (not run)" : b.get<bool>() ? "met" : "NOT met";
  };
  md << "\n- quiet p99 (" << noisy << ") / quiet p99 (" << base << ") = **"
     << ratio_text(ratio(noisy)) << "** (target ≤ " << fixed(max_ratio, 1)
     << "): " << yes(met["quiet_p99_ratio"]) << "\n";
  md << "- quiet p99 (" << unfair << ") / quiet p99 (" << base << ") = **"
     << ratio_text(ratio(unfair)) << "** (fairness off; for comparison)\n";
  md << "- quiet-tenant rejections in (" << noisy << "): " << quiet_refused
     << " (target 0): " << yes(met["zero_quiet_rejections"]) << "\n";
  md << "- heavy tenant stored in (" << noisy << "): " << fixed(heavy_rate, 1)
     << "/s against a quota of " << fixed(quota, 0) << "/s (" << (deviation >= 0 ? "+" : "")
     << fixed(deviation * 100, 1) << "%; target ±" << fixed(tolerance * 100, 0)
     << "%): " << yes(met["heavy_at_quota"]) << "\n";
  for (auto& s : summaries) {
    auto* c = find_class(&s, quiet);
    if (!c || c->at("by_shard").size() < 2) continue;
    md << "- quiet p99 by writer shard in (" << s.at("name").get<std::string>() << "):";
    for (auto& t : s.at("tenants"))
      if (t.at("class") == heavy) md << " [heavy tenant on shard " << t.at("shard") << "]";
    for (auto& [shard, v] : c->at("by_shard").items())
      md << " shard " << shard << " (" << v.at("tenants") << " tenants) "
         << fixed(v.at("p99_ms").get<double>(), 2) << " ms;";
    md << "\n";
  }
  for (auto& s : summaries) {
    md << "- (" << s.at("name").get<std::string>()
       << ") load average before: " << s.value("load_before", "?").substr(0, 14)
       << "; CPU cores used: server " << fixed(s.value("server_cores", -1.0), 2) << ", generator "
       << fixed(s.value("generator_cores", -1.0), 2) << ", everything else "
       << fixed(s.value("other_cores", -1.0), 2) << ", stolen by the host "
       << fixed(s.value("steal_cores", -1.0), 2)
       << (s.value("disturbed", false) ? " (DISTURBED: over the limit)" : "")
       << "; commits per shard:";
    double wall = s.value("load_wall_sec", 1.0);
    auto shards = s.value("shards", json::object());  // items() of a temporary would dangle
    for (auto& [shard, c] : shards.items()) {
      double commits = c.value("commits", 0.0);
      if (commits <= 0) continue;
      md << " " << shard << ": " << fixed(commits / wall, 0) << "/s, mean "
         << fixed(c.value("commit_sec", 0.0) / commits * 1000, 2) << " ms, "
         << fixed(c.value("events", 0.0) / commits, 2) << " events each;";
    }
    md << "\n";
  }
  std::ofstream(out.markdown) << md.str();

  // Quiet-tenant p99 per second, one gnuplot data block per scenario.
  std::ofstream data(out.plot_data);
  double lo = 1e18, hi = 0;
  std::string plot;
  int block = 0;
  for (auto& s : summaries) {
    auto* c = find_class(&s, quiet);
    if (!c) continue;
    data << "# " << s.at("name").get<std::string>() << "\n";
    int t = 0;
    for (auto& v : c->at("p99_per_second_ms")) {
      double p = v.get<double>();
      data << t++ << " " << p << "\n";
      if (p > 0) lo = std::min(lo, p), hi = std::max(hi, p);
    }
    data << "\n\n";
    plot +=
        std::string(plot.empty() ? "plot " : ", \\\n     ") + gnuplot_quote(out.plot_data) +
        " index " + std::to_string(block++) + " using 1:2 with linespoints title " +
        gnuplot_quote(s.at("name").get<std::string>() + ": " + s.at("title").get<std::string>());
  }
  std::ofstream gp(out.plot_script);
  gp << "set terminal pngcairo size 1000,560 noenhanced font 'DejaVu Sans,10'\n"
     << "set output " << gnuplot_quote(out.png) << "\n"
     << "set title 'Quiet tenants: p99 latency per second (open loop, from the intended send "
        "time)'\n"
     << "set xlabel 'seconds into the measured window'\nset ylabel 'p99 latency (ms)'\n"
     << "set grid\nset key bmargin center vertical maxrows 3\nset bmargin 7\n";
  // A log axis only when one scenario is so much worse that the others would lie flat on zero.
  gp << (hi > 20 * lo ? "set logscale y\n" : "set yrange [0:*]\n") << plot << "\n";
  return md.str();
}

}  // namespace sluice::bench
