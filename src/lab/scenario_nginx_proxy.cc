// SPDX-License-Identifier: Apache-2.0
#include "lab/scenario_nginx_proxy.h"

#include <fmt/format.h>

#include "lab/counters.h"
#include "lab/http_backend.h"
#include "lab/nginx_process.h"
#include "lab/topology.h"
#include "model/format.h"

namespace tw::lab {

namespace {

constexpr uint16_t kProxyPort = 8080;

double ratio(double a, double b) { return b > 0 ? a / b : 0; }

}  // namespace

Result<ProxyVariant> measure_nginx_proxy(bool upstream_keepalive, int64_t requests,
                                         int connections) {
  ProxyVariant v;
  v.upstream_keepalive = upstream_keepalive;
  if (auto bin = find_nginx(); !bin) return fail(bin.error());
  // client 10.77.1.1 -> proxy 10.77.1.2 | proxy 10.77.2.1 -> backend 10.77.2.2
  Topology topo;
  auto client = topo.add_node("client");
  if (!client) return fail(client.error());
  auto proxy = topo.add_node("proxy");
  if (!proxy) return fail(proxy.error());
  auto backend = topo.add_node("backend");
  if (!backend) return fail(backend.error());
  if (auto st = topo.link(**client, **proxy, 1); !st) return fail(st.error());
  if (auto st = topo.link(**proxy, **backend, 2); !st) return fail(st.error());
  const std::string front = (*proxy)->addresses[0], back = (*backend)->addresses[0];

  auto server = HttpBackend::start(*(*backend)->ns, back, kProxyPort);
  if (!server) return fail(server.error());
  NginxConfig nc;
  nc.listen_addr = front;
  nc.listen_port = kProxyPort;
  nc.upstream_addr = back;
  nc.upstream_port = kProxyPort;
  nc.upstream_keepalive = upstream_keepalive;
  auto nginx = Nginx::start(*(*proxy)->ns, nc);
  if (!nginx) return fail(nginx.error());

  HttpLoadConfig lc;
  lc.addr = front;
  lc.port = kProxyPort;
  lc.requests = requests;
  lc.connections = connections;
  lc.seconds = std::max(10.0, requests / 200.0);
  auto load = run_http_load(*(*client)->ns, lc);
  if (!load) return fail(load.error());
  v.load = *load;
  v.upstream_connections = (*server)->accepted();
  v.backend_requests = (*server)->requests();
  v.backend_closed_first = (*server)->closed_first();
  // Counted while nginx still runs: stopping it would close its idle upstream connections too.
  auto pc = take_census(*(*proxy)->ns);
  if (!pc) return fail(pc.error());
  v.proxy_time_wait = pc->count(TcpState::kTimeWait);
  auto bc = take_census(*(*backend)->ns);
  if (!bc) return fail(bc.error());
  v.backend_time_wait = bc->count(TcpState::kTimeWait);
  // Fresh namespaces: the counters are this variant's.
  auto pk = read_counters(*(*proxy)->ns);
  if (!pk) return fail(pk.error());
  v.proxy_resets_sent = pk->get("Tcp.OutRsts");
  return v;
}

Result<ScenarioResult> run_nginx_proxy(const LabOptions& options) {
  ScenarioResult r;
  r.name = "nginx-proxy";
  r.title = "nginx in front of a backend: a new upstream connection per request vs keep-alive";
  const int64_t n = options.count > 0 ? std::min<int64_t>(options.count, 200000) : 5000;
  const int conns = 4;
  auto plain = measure_nginx_proxy(false, n, conns);
  if (!plain) return fail(plain.error());
  auto keep = measure_nginx_proxy(true, n, conns);
  if (!keep) return fail(keep.error());

  for (const ProxyVariant* v : {&*plain, &*keep}) {
    std::string label = v->upstream_keepalive ? "upstream keepalive 32" : "default upstream";
    r.rows.push_back(
        {label + ": requests answered",
         fmt::format("{} (sent over {} keep-alive client connections)", with_commas(n), conns),
         fmt::format("{} in {:.2f} s ({:.0f}/s), {} errors{}", with_commas(v->load.ok),
                     v->load.seconds, v->load.rate(), v->load.errors,
                     v->load.first_error.empty() ? "" : ": " + v->load.first_error),
         check(v->load.ok == n && v->load.errors == 0)});
    if (!v->upstream_keepalive) {
      r.rows.push_back({label + ": upstream connections opened",
                        fmt::format("{} (one per request)", with_commas(n)),
                        with_commas(v->upstream_connections),
                        check(v->upstream_connections >= n * 95 / 100)});
      r.rows.push_back(
          {label + ": TIME_WAIT on proxy + backend",
           fmt::format("~{} (one per upstream connection, on the side that closed "
                       "first; none expire within 60 s)",
                       with_commas(v->upstream_connections)),
           fmt::format("{} (proxy {}, backend {}; the backend closed {} first)",
                       with_commas(v->proxy_time_wait + v->backend_time_wait),
                       with_commas(v->proxy_time_wait), with_commas(v->backend_time_wait),
                       with_commas(v->backend_closed_first)),
           check(v->proxy_time_wait + v->backend_time_wait >= v->upstream_connections * 9 / 10)});
    } else {
      // nginx closes a kept-alive upstream connection after keepalive_requests (1000) requests.
      int64_t bound = conns + n / 1000 + 2;
      r.rows.push_back({label + ": upstream connections opened",
                        fmt::format("<= {} (one per concurrent request, renewed every 1000 "
                                    "requests: upstream keepalive_requests)",
                                    bound),
                        with_commas(v->upstream_connections),
                        check(v->upstream_connections <= bound)});
      r.rows.push_back(
          {label + ": TIME_WAIT on proxy + backend",
           fmt::format("<= {} (only the renewed connections)", bound),
           fmt::format("{} (proxy {}, backend {})",
                       with_commas(v->proxy_time_wait + v->backend_time_wait),
                       with_commas(v->proxy_time_wait), with_commas(v->backend_time_wait)),
           check(v->proxy_time_wait + v->backend_time_wait <= bound)});
    }
  }
  for (const ProxyVariant* v : {&*plain, &*keep}) {
    std::string k = v->upstream_keepalive ? "keepalive." : "default.";
    r.values[k + "requests"] = v->load.ok;
    r.values[k + "errors"] = v->load.errors;
    r.values[k + "requests_per_second"] = v->load.rate();
    r.values[k + "upstream_connections"] = v->upstream_connections;
    r.values[k + "proxy_time_wait"] = v->proxy_time_wait;
    r.values[k + "backend_time_wait"] = v->backend_time_wait;
  }
  const double conn_ratio = ratio(plain->upstream_connections, keep->upstream_connections);
  const double tw_plain = plain->proxy_time_wait + plain->backend_time_wait;
  const double tw_keep = keep->proxy_time_wait + keep->backend_time_wait;
  r.rows.push_back({"upstream connections: default / keepalive", ">= 10x fewer with keepalive",
                    fmt::format("{} / {} = {:.0f}x", with_commas(plain->upstream_connections),
                                with_commas(keep->upstream_connections), conn_ratio),
                    check(keep->upstream_connections * 10 <= plain->upstream_connections)});
  r.rows.push_back({"TIME_WAIT (proxy + backend): default / keepalive",
                    ">= 10x fewer with keepalive",
                    fmt::format("{:.0f} / {:.0f} = {}", tw_plain, tw_keep,
                                tw_keep > 0 ? fmt::format("{:.0f}x", tw_plain / tw_keep)
                                            : std::string("none left with keepalive")),
                    check(tw_keep * 10 <= tw_plain)});
  r.rows.push_back({"requests/s: keepalive / default", "> 1 (no handshake per request)",
                    fmt::format("{:.0f} / {:.0f} = {:.2f}x", keep->load.rate(), plain->load.rate(),
                                ratio(keep->load.rate(), plain->load.rate())),
                    Verdict::kInfo});
  r.notes.push_back(fmt::format(
      "nginx runs in the proxy namespace (master_process off, config and logs in a temporary "
      "directory); {} GET requests over {} client keep-alive connections, each variant in fresh "
      "namespaces; the backend answers HTTP/1.0 and `Connection: close` requests and then closes, "
      "like most servers",
      n, conns));
  r.notes.push_back(
      "why fewer TIME_WAITs than upstream connections: the backend closes first, so the proxy's "
      "kernel holds nothing for a used port and may pick it again for a new upstream connection; "
      "the backend then accepts that SYN into the TIME_WAIT (its sequence number and timestamp are "
      "newer, RFC 6191) and the old TIME_WAIT is gone. The more connections, the more such "
      "collisions");
  r.notes.push_back(
      "fix for proxies: in the upstream block `keepalive 32;`, and in the location "
      "`proxy_http_version 1.1;` and `proxy_set_header Connection \"\";` (nginx's default upstream "
      "is HTTP/1.0 with Connection: close: one connection, and one TIME_WAIT, per request)");
  return r;
}

}  // namespace tw::lab
