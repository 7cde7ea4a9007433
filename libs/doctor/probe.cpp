// SPDX-License-Identifier: Apache-2.0
// The server probe: bounded ClientHello / first-flight exchanges over TCP.
#include "sebind/doctor/probe.hpp"

#include <algorithm>
#include <chrono>
#include <random>

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sebind/tls/rsa_probe.hpp"
#include "sebind/tls/tcp.hpp"

namespace sebind::doctor {

namespace {

enum class Outcome : std::uint8_t { answered, refused, unreachable, malformed };

struct Exchange {
    Outcome outcome = Outcome::refused;
    ServerFlight flight;
    tls::TcpError tcp = tls::TcpError::none;
    int resolver_error = 0;
    std::string error;
};

/// One connection: the ClientHello out, the server's first flight in (bounded by
/// kMaxFlightBytes and the timeout), then closed.
Exchange exchange(const ProbeOptions& o, const HelloOffer& offer) {
    using Clock = std::chrono::steady_clock;
    const auto deadline = Clock::now() + std::chrono::milliseconds(o.timeout_ms);
    Exchange x;
    const tls::TcpConnection tcp = tls::tcp_connect(o.connect_to.empty() ? o.host : o.connect_to, o.port, o.timeout_ms,
                                                    false);
    if (tcp.error != tls::TcpError::none) {
        x.outcome = Outcome::unreachable;
        x.tcp = tcp.error;
        x.resolver_error = tcp.resolver_error;
        return x;
    }
    std::uint8_t random[32];
    std::random_device rd;
    for (auto& b : random) b = static_cast<std::uint8_t>(rd());
    const std::vector<std::uint8_t> hello = client_hello(offer, random);
    std::vector<std::uint8_t> in;
    ParseResult parsed;
    if (::send(tcp.fd, hello.data(), hello.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(hello.size())) {
        std::uint8_t buf[4096];
        while (in.size() <= kMaxFlightBytes) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
            pollfd p{tcp.fd, POLLIN, 0};
            if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) <= 0) {
                x.tcp = tls::TcpError::timeout;
                break;
            }
            const ssize_t n = ::recv(tcp.fd, buf, sizeof buf, 0);
            if (n <= 0) break;
            in.insert(in.end(), buf, buf + n);
            parsed = parse_server_flight(in, x.flight);
            if (parsed.state != ParseState::need_more) break;
        }
    }
    ::close(tcp.fd);
    if (parsed.state == ParseState::malformed) {
        x.outcome = Outcome::malformed;
        x.error = parsed.error;
    } else if (parsed.state == ParseState::complete) {
        x.outcome = x.flight.server_hello ? Outcome::answered : Outcome::refused;  // else an alert alone
    } else if (in.empty() && x.tcp != tls::TcpError::timeout) {
        x.outcome = Outcome::refused;  // closed without a word
    } else {
        x.outcome = Outcome::malformed;
        x.error = x.tcp == tls::TcpError::timeout
                      ? "no complete answer to the ClientHello within " + std::to_string(o.timeout_ms) + " ms"
                      : "the connection closed in the middle of the server's answer";
    }
    return x;
}

/// Fails the probe with the reason of an exchange that went wrong.
bool fail(const ProbeOptions& o, const Exchange& x, tls::Diagnosis& d) {
    const std::string where = o.host + ":" + std::to_string(o.port);
    if (x.outcome == Outcome::unreachable) {
        tls::diagnoses::tcp_failure(d, x.tcp, o.connect_to.empty() ? o.host : o.connect_to, where, o.timeout_ms,
                                    x.resolver_error);
    } else if (x.tcp == tls::TcpError::timeout) {
        tls::set_diagnosis(d, tls::Failure::timeout, where + ": " + x.error,
                           "check that a TLS server listens on this port (a plain MQTT port does not answer TLS), or "
                           "raise --timeout-ms");
    } else {
        tls::set_diagnosis(d, tls::Failure::protocol_error, where + " does not answer like a TLS server: " + x.error,
                           "check --port: it must be the server's TLS port");
    }
    return false;
}

template <class T>
std::vector<T> without(std::vector<T> all, const std::vector<T>& taken) {
    all.erase(std::remove_if(all.begin(), all.end(),
                             [&](const T& v) { return std::find(taken.begin(), taken.end(), v) != taken.end(); }),
              all.end());
    return all;
}

/// Probes one TLS version: the suites, then the groups.
bool probe_version(const ProbeOptions& o, bool tls13, VersionProbe& v, unsigned& connections, tls::Diagnosis& d) {
    std::vector<std::uint16_t> suites, groups;
    for (const auto& s : device_suites(tls13)) suites.push_back(s.id);
    for (const auto& g : device_groups(tls13)) groups.push_back(g.id);
    HelloOffer offer{tls13, o.host, suites, groups, device_signature_algorithms()};
    const auto chosen = [&](const Exchange& x) {
        return x.outcome == Outcome::answered && !x.flight.alert && x.flight.version == (tls13 ? kTls13 : kTls12);
    };
    Exchange x = exchange(o, offer);
    ++connections;
    if (x.outcome == Outcome::unreachable || x.outcome == Outcome::malformed) return fail(o, x, d);
    if (!chosen(x)) {
        v.alert = x.flight.alert;
        return true;
    }
    v.accepted = true;
    v.first = x.flight;
    v.suites.push_back(x.flight.suite);
    // Each round offers what was not chosen yet; the list shrinks every round, so this ends.
    while (true) {
        offer.suites = without(suites, v.suites);
        if (offer.suites.empty()) break;
        x = exchange(o, offer);
        ++connections;
        if (x.outcome == Outcome::unreachable || x.outcome == Outcome::malformed) return fail(o, x, d);
        if (!chosen(x) || std::find(v.suites.begin(), v.suites.end(), x.flight.suite) != v.suites.end()) break;
        v.suites.push_back(x.flight.suite);
    }
    offer.suites = v.suites;
    // The groups: offer those not chosen yet; when the server refuses them all, offer them again
    // first with the chosen ones after (a TLS 1.2 server with an ECDSA certificate wants its curve
    // in the list). Each round adds a group or ends the search.
    std::vector<std::uint16_t> found;
    const auto group_of = [&](const std::vector<std::uint16_t>& list, std::uint16_t& group) {
        group = 0;
        if (list.empty()) return true;
        offer.groups = list;
        x = exchange(o, offer);
        ++connections;
        if (x.outcome == Outcome::unreachable || x.outcome == Outcome::malformed) return false;
        if (chosen(x) && std::find(found.begin(), found.end(), x.flight.group) == found.end()) group = x.flight.group;
        return true;
    };
    for (std::uint16_t group = v.first.group; group != 0;) {
        found.push_back(group);
        std::vector<std::uint16_t> rest = without(groups, found);
        if (!group_of(rest, group)) return fail(o, x, d);
        if (group == 0 && !rest.empty()) {
            rest.insert(rest.end(), found.begin(), found.end());
            if (!group_of(rest, group)) return fail(o, x, d);
        }
    }
    v.groups = found;
    return true;
}

}  // namespace

bool probe_server(const ProbeOptions& options, ServerProbe& out, tls::Diagnosis& diagnosis) {
    out = ServerProbe{};
    if (!probe_version(options, false, out.tls12, out.connections, diagnosis)) return false;
    if (!probe_version(options, true, out.tls13, out.connections, diagnosis)) return false;
    if (!out.tls12.accepted && !out.tls13.accepted) {
        out.static_rsa_suite = tls::static_rsa_choice(options.connect_to.empty() ? options.host : options.connect_to,
                                                      options.port, options.timeout_ms);
        ++out.connections;
    }
    return true;
}

}  // namespace sebind::doctor
