// SPDX-License-Identifier: Apache-2.0
// `sebind doctor`: probes a TLS server, reads the chip's slot and an Mbed TLS configuration
// header, and prints each gap that blocks a handshake with the macro or option that closes it
// (docs/doctor.md). Exit 0 when nothing blocks, doctor_gaps otherwise.
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "identity_cli.hpp"
#include "sebind/doctor/diagnose.hpp"
#include "sebind/identity/identity.hpp"

namespace sebind::cli {

namespace {

using nlohmann::json;

struct Args {
    std::string host = "localhost";
    std::string connect_to;
    unsigned port = 8883;
    std::string ca;
    unsigned slot = 1;
    int zone = -1;
    std::string config;
    unsigned timeout_ms = 5000;
};

json names(const std::vector<std::uint16_t>& ids, std::string (*name)(std::uint16_t)) {
    json a = json::array();
    for (const auto id : ids) a.push_back(name(id));
    return a;
}

std::string list(const json& a) {
    std::string text;
    for (const auto& v : a) text += (text.empty() ? "" : ", ") + v.get<std::string>();
    return text.empty() ? "none" : text;
}

json version_json(const doctor::VersionProbe& v) {
    json j = {{"accepted", v.accepted},
              {"suites", names(v.suites, doctor::suite_name)},
              {"groups", names(v.groups, doctor::group_name)}};
    if (v.alert) j["refusal"] = tls::alert_name(*v.alert);
    return j;
}

json report_json(const Args& a, const doctor::ServerProbe& p, const doctor::ServerCertificate& cert,
                 const doctor::ChipSlot& chip, const doctor::MbedtlsConfig& config,
                 const std::vector<doctor::Finding>& findings) {
    json server = {{"host", a.host},
                   {"port", a.port},
                   {"tls1_2", version_json(p.tls12)},
                   {"tls1_3", version_json(p.tls13)},
                   {"connections", p.connections}};
    if (!p.static_rsa_suite.empty()) server["static_rsa_suite"] = p.static_rsa_suite;
    if (cert.present)
        server["certificate"] = {{"subject", cert.subject},
                                 {"issuer", cert.issuer},
                                 {"key", cert.key},
                                 {"verifies", cert.verifies},
                                 {"names_host", cert.names_host}};
    if (!cert.verify_error.empty()) server["certificate"]["verify_error"] = cert.verify_error;
    const doctor::ServerFlight& f = p.tls12.first;
    if (p.tls12.accepted) {
        if (f.server_signature != 0) server["signature_algorithm"] = doctor::signature_name(f.server_signature);
        json request = nullptr;
        if (f.certificate_request) {
            json cas = json::array();
            for (const auto& n : f.ca_names) cas.push_back(doctor::dn_text(n));
            request = {{"certificate_authorities", cas},
                       {"signature_algorithms", names(f.client_signature_algorithms, doctor::signature_name)}};
        }
        server["client_certificate_request"] = request;
    }
    json chip_json = nullptr;
    if (chip.inspected) {
        chip_json = {{"slot", chip.slot}, {"zone", chip.zone}, {"pairs", chip.pairs}};
        chip_json["curve"] = chip.curve ? json(stsafe::curve_info(*chip.curve).name) : json(nullptr);
        if (chip.has_certificate) chip_json["certificate"] = {{"subject", chip.subject}, {"issuer", chip.issuer}};
    }
    json list_json = json::array();
    std::size_t gaps = 0;
    for (const auto& x : findings) {
        const bool gap = x.level == doctor::Finding::Level::gap;
        gaps += gap;
        list_json.push_back({{"level", gap ? "gap" : "warning"}, {"code", x.code}, {"text", x.text}});
    }
    return {{"server", server},
            {"chip", chip_json},
            {"config", {{"source", config.source}, {"style", doctor::style_name(config.style)}}},
            {"findings", list_json},
            {"gaps", gaps}};
}

/// One line of the text report: a label in a column of its own, then the text.
void row(const std::string& label, const std::string& text) { std::printf("%-15s%s\n", label.c_str(), text.c_str()); }

void print_text(const json& r) {
    const json& s = r["server"];
    row("server", s["host"].get<std::string>() + ":" + std::to_string(s["port"].get<unsigned>()));
    for (const auto& [key, name] : {std::pair{"tls1_2", "  TLS 1.2"}, std::pair{"tls1_3", "  TLS 1.3"}}) {
        const json& x = s[key];
        if (x["accepted"].get<bool>()) {
            row(name, "suites " + list(x["suites"]));
            row("", "groups " + list(x["groups"]));
        } else {
            row(name, "refused" + (x.contains("refusal") ? " (" + x["refusal"].get<std::string>() + ")" : ""));
        }
    }
    if (s.contains("certificate")) {
        const json& c = s["certificate"];
        row("  certificate", c["subject"].get<std::string>() + " (" + c["key"].get<std::string>() + "), issued by " +
                                 c["issuer"].get<std::string>());
        row("", std::string("verifies against --ca: ") + (c["verifies"].get<bool>() ? "yes" : "no") +
                    "; names the host: " + (c["names_host"].get<bool>() ? "yes" : "no"));
    } else if (s["tls1_3"]["accepted"].get<bool>()) {
        row("  certificate", "not seen: TLS 1.3 encrypts it (and the CertificateRequest)");
    }
    if (s.contains("signature_algorithm")) row("  signs with", s["signature_algorithm"].get<std::string>());
    if (s.contains("client_certificate_request")) {
        const json& q = s["client_certificate_request"];
        if (q.is_null()) {
            row("  client cert", "not requested");
        } else {
            row("  client cert", "requested from CA " + list(q["certificate_authorities"]));
            row("", "signatures " + list(q["signature_algorithms"]));
        }
    }
    const json& chip = r["chip"];
    if (chip.is_null()) {
        row("chip", "not inspected (no --se and no SEBIND_SE)");
    } else {
        std::string text = "slot " + std::to_string(chip["slot"].get<unsigned>()) + ": " +
                           (chip["curve"].is_null() ? "no key" : chip["curve"].get<std::string>() + " key");
        row("chip", text);
        if (chip.contains("certificate")) {
            row("", "zone " + std::to_string(chip["zone"].get<unsigned>()) + ": " +
                        chip["certificate"]["subject"].get<std::string>() + ", issued by " +
                        chip["certificate"]["issuer"].get<std::string>());
            row("", chip["pairs"].get<bool>() ? "pairs with the key (chip-signed challenge)"
                                              : "does not pair with the key");
        }
    }
    row("config",
        r["config"]["source"].get<std::string>() + " (" + r["config"]["style"].get<std::string>() + " style)");
    for (const auto& x : r["findings"])
        row(x["level"].get<std::string>() == "gap" ? "GAP" : "WARNING", x["text"].get<std::string>());
    if (r["gaps"].get<std::size_t>() == 0) std::printf("OK: nothing blocks a handshake\n");
}

}  // namespace

void add_doctor_command(CLI::App& app, GlobalOptions& global) {
    auto a = std::make_shared<Args>();
    auto* cmd = app.add_subcommand(
        "doctor", "What the server demands, what the chip holds, what an Mbed TLS configuration lacks: each gap");
    cmd->set_help_flag("--help", "Print this help message and exit");
    cmd->add_option("-h,--host", a->host, "Server DNS name or IP address (SNI, and checked against its certificate)");
    cmd->add_option("--connect-to", a->connect_to, "Open the TCP connections to this address instead of --host");
    cmd->add_option("-p,--port", a->port, "Port")->check(CLI::Range(1u, 65535u));
    cmd->add_option("--ca,--cafile", a->ca, "CA certificate(s) for the server (PEM)")->required();
    cmd->add_option("--slot", a->slot, "Key slot of the device identity")->check(CLI::IsMember({0u, 1u}));
    cmd->add_option("--zone", a->zone, "Zone holding the slot's certificate (default 0 for slot 0, 4 for slot 1)")
        ->check(CLI::Range(0, 255));
    cmd->add_option("--mbedtls-config", a->config,
                    "The device's Mbed TLS configuration header (2.28 config.h or 3.6 mbedtls_config.h style); "
                    "default: the configuration of the Mbed TLS sebind is built with");
    cmd->add_option("--timeout-ms", a->timeout_ms, "Per-connection timeout of the probe");
    cmd->callback([&global, a] {
        const doctor::MbedtlsConfig config = a->config.empty()
                                                 ? doctor::build_mbedtls_config()
                                                 : doctor::parse_mbedtls_config(
                                                       read_file_or_fail(a->config, "an Mbed TLS configuration header",
                                                                         doctor::kMaxConfigBytes, nullptr),
                                                       a->config);
        tls::Diagnosis d;
        doctor::ServerProbe probe;
        doctor::ProbeOptions o;
        o.host = a->host;
        o.connect_to = a->connect_to;
        o.port = static_cast<std::uint16_t>(a->port);
        o.timeout_ms = a->timeout_ms;
        if (!doctor::probe_server(o, probe, d)) throw Failure(exit_for(d.failure), d.cause + " — " + d.fix);
        doctor::ServerCertificate cert;
        if (!doctor::inspect_server_certificate(probe.tls12.first.certificates, a->ca, a->host, cert, d))
            throw Failure(exit_for(d.failure), d.cause + " — " + d.fix);
        doctor::ChipSlot chip;
        if (!global.se_uri.empty() || std::getenv("SEBIND_SE") != nullptr) {
            auto se = open_se(global);
            const auto slot = static_cast<std::uint8_t>(a->slot);
            const auto zone = a->zone >= 0 ? static_cast<std::uint8_t>(a->zone) : identity::default_zone(slot);
            require_zone(se->device(), zone);
            check(doctor::inspect_chip(se->device(), slot, zone, chip), "doctor: reading slot " + std::to_string(slot));
        }
        const auto findings = doctor::diagnose(probe, cert, chip, config, a->ca, a->host);
        const json report = report_json(*a, probe, cert, chip, config, findings);
        if (global.json)
            std::printf("%s\n", report.dump(2).c_str());
        else
            print_text(report);
        const auto gaps = report["gaps"].get<std::size_t>();
        finish_stdout();  // the report is out before the failure line
        if (gaps > 0)
            throw Failure(Exit::doctor_gaps, std::to_string(gaps) + " gap(s) block a handshake with " + a->host + ":" +
                                                 std::to_string(a->port) + " — close each as its line says");
    });
}

}  // namespace sebind::cli
