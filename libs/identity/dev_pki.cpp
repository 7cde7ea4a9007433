// SPDX-License-Identifier: Apache-2.0
// `create_dev_pki`: a development CA, broker and monitor certificates (mbedTLS x509write), and a
// mosquitto configuration for mutual TLS where the device's certificate CN is its username.
#include "sebind/identity/dev_pki.hpp"

#include <array>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include <arpa/inet.h>
#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mbedtls/ecp.h>
#include <mbedtls/platform_util.h>

#include "pki_x509.hpp"
#include "sebind/host/files.hpp"

namespace sebind::identity {

namespace {

namespace fs = std::filesystem;

void set_detail(std::string* detail, const std::string& text) {
    if (detail) *detail = text;
}

/// A DNS name as RFC 1035 / RFC 5280 §4.2.1.6 allow it in a dNSName (LDH labels, optionally one
/// leading "*." wildcard label). Underscores are tolerated: local networks use them.
bool is_dns_name(const std::string& name) {
    std::string rest = name.rfind("*.", 0) == 0 ? name.substr(2) : name;
    if (rest.empty() || name.size() > 253) return false;
    std::size_t label = 0;
    for (std::size_t i = 0; i <= rest.size(); ++i) {
        if (i == rest.size() || rest[i] == '.') {
            if (label == 0 || label > 63 || rest[i - 1] == '-') return false;
            label = 0;
            continue;
        }
        const char c = rest[i];
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                        c == '_';
        if (!ok || (label == 0 && c == '-')) return false;
        ++label;
    }
    return true;
}

/// Host names split into dNSName and iPAddress entries (RFC 5280 §4.2.1.6: 4 or 16 octets).
Status broker_names(const std::vector<std::string>& hosts, std::vector<pki::GeneralName>& out, std::string& cn,
                    std::string* detail) {
    std::vector<pki::GeneralName> dns = {{pki::kSanDns, {'l', 'o', 'c', 'a', 'l', 'h', 'o', 's', 't'}}};
    std::vector<pki::GeneralName> ips = {{pki::kSanIp, {127, 0, 0, 1}}};
    cn.clear();
    auto add = [](std::vector<pki::GeneralName>& list, pki::GeneralName n) {
        for (const auto& have : list)
            if (have.value == n.value) return;
        list.push_back(std::move(n));
    };
    for (const auto& host : hosts) {
        std::array<unsigned char, 16> addr{};
        if (::inet_pton(AF_INET, host.c_str(), addr.data()) == 1) {
            add(ips, {pki::kSanIp, {addr.begin(), addr.begin() + 4}});
        } else if (::inet_pton(AF_INET6, host.c_str(), addr.data()) == 1) {
            add(ips, {pki::kSanIp, {addr.begin(), addr.end()}});
        } else if (is_dns_name(host)) {
            add(dns, {pki::kSanDns, {host.begin(), host.end()}});
            if (cn.empty()) cn = host;
        } else {
            set_detail(detail, "--host '" + host + "' is neither a DNS name nor an IP address");
            return Status(Errc::invalid_argument);
        }
    }
    if (cn.empty()) cn = "localhost";
    out = std::move(dns);
    out.insert(out.end(), ips.begin(), ips.end());
    return Status::success();
}

bool generate_key(pki::Rng& rng, pki::PkKey& key, DevPkiCurve curve) {
    const auto group = curve == DevPkiCurve::p384 ? MBEDTLS_ECP_DP_SECP384R1 : MBEDTLS_ECP_DP_SECP256R1;
    return mbedtls_pk_setup(&key.ctx, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) == 0 &&
           mbedtls_ecp_gen_key(group, mbedtls_pk_ec(key.ctx), pki::Rng::random, rng.context()) == 0;
}

Result<std::string> key_pem(mbedtls_pk_context& key) {
    std::vector<unsigned char> buf(2048);
    if (mbedtls_pk_write_key_pem(&key, buf.data(), buf.size()) != 0) return Errc::invalid_argument;
    std::string pem(reinterpret_cast<const char*>(buf.data()));
    mbedtls_platform_zeroize(buf.data(), buf.size());
    return pem;
}

std::string hex_of(const unsigned char* p, std::size_t n) {
    std::string out;
    char b[3];
    for (std::size_t i = 0; i < n; ++i) {
        std::snprintf(b, sizeof b, "%02x", p[i]);
        out += b;
    }
    return out;
}

struct Layout {
    std::string abs;  // absolute directory
    std::string port;
    std::string listen;
    std::string user;
    std::string san_text;
};

std::string acl_text() {
    return "# sebind development broker ACL. The MQTT username is the client certificate's CN\n"
           "# (use_identity_as_username): a device can only act under devices/<its CN>/ —\n"
           "# publish its data there and subscribe to its own commands (devices/<CN>/commands/#).\n"
           "pattern readwrite devices/%u/#\n"
           "\n"
           "# The monitor identity (monitor.pem) reads every device's data and may send commands;\n"
           "# it cannot publish data in a device's name. `sebind pki sign` refuses CN=monitor.\n"
           "user " +
           std::string(kMonitorCommonName) +
           "\n"
           "topic read devices/#\n"
           "topic write devices/+/commands/#\n";
}

std::string conf_text(const Layout& l) {
    return "# sebind development broker: mutual TLS; a client's certificate CN is its MQTT username.\n"
           "# Start: mosquitto -c " +
           l.abs +
           "/mosquitto.conf   (development only: see README.txt)\n"
           "# Started as root, mosquitto switches to `user`; it must be able to read the 0600 keys.\n"
           "user " +
           l.user +
           "\n"
           "per_listener_settings false\n"
           "allow_anonymous false\n"
           "acl_file " +
           l.abs +
           "/acl\n"
           "persistence false\n"
           "set_tcp_nodelay true\n"
           "connection_messages true\n"
           "log_dest stderr\n"
           "log_type error\nlog_type warning\nlog_type notice\nlog_type information\nlog_type subscribe\n"
           "\n"
           "# To accept devices from the network, bind to this host's address instead of 127.0.0.1\n"
           "# (`sebind pki dev --listen ADDR`) and name the host with --host so the certificate carries it.\n"
           "listener " +
           l.port + " " + l.listen +
           "\n"
           "cafile " +
           l.abs +
           "/ca.pem\n"
           "certfile " +
           l.abs +
           "/broker.pem\n"
           "keyfile " +
           l.abs +
           "/broker.key\n"
           "require_certificate true\n"
           "use_identity_as_username true\n"
           "tls_version tlsv1.2\n";
}

std::string readme_text(const Layout& l) {
    const std::string m = "--cafile " + l.abs + "/ca.pem --cert " + l.abs + "/monitor.pem --key " + l.abs +
                          "/monitor.key";
    return "sebind development PKI — for development and tests only: the CA key is in this directory.\n"
           "\n"
           "  ca.pem          the CA certificate: the trust anchor of the broker, the devices and clients\n"
           "  ca.key          the CA private key (0600), used by `sebind pki sign`; never copy it to a device\n"
           "  broker.pem/.key the broker's certificate and key; subjectAltName " +
           l.san_text +
           "\n"
           "  monitor.pem/.key a client identity (CN monitor): reads devices/#, writes devices/+/commands/#\n"
           "  acl             each client (username = certificate CN) reads and writes only devices/<CN>/#\n"
           "  mosquitto.conf  mutual TLS on " +
           l.listen + ":" + l.port +
           ", require_certificate, CN as username\n"
           "\n"
           "Broker:\n"
           "  mosquitto -c " +
           l.abs +
           "/mosquitto.conf\n"
           "\n"
           "A device (its private key never leaves the secure element) needs ca.pem and its own certificate:\n"
           "  sebind keygen --slot 1 --curve p256\n"
           "  sebind csr --slot 1 --subject \"CN=device-001\" -o device-001.csr\n"
           "  sebind pki sign --ca " +
           l.abs +
           " device-001.csr -o device-001.crt\n"
           "  sebind cert store --slot 1 device-001.crt\n"
           "It connects to \"localhost\", a --host name or 127.0.0.1, port " +
           l.port +
           " (the names and addresses broker.pem carries).\n"
           "\n"
           "Watch the data / send a command (the agent, `sebind run`, takes JSON commands on devices/<CN>/commands\n"
           "and answers on devices/<CN>/status; docs/agent.md):\n"
           "  mosquitto_sub -h localhost -p " +
           l.port + " " + m +
           " -t 'devices/#' -v\n"
           "  mosquitto_pub -h localhost -p " +
           l.port + " " + m + " -t devices/device-001/commands -m '{\"cmd\":\"publish_now\"}'\n";
}

}  // namespace

Status create_dev_pki(const std::string& dir, const DevPkiOptions& options, std::string* detail) {
    if (options.days == 0 || options.days > 36500) {
        set_detail(detail, "validity must be 1..36500 days");
        return Status(Errc::invalid_argument);
    }
    // Values land on mosquitto.conf lines: a line break would inject configuration.
    if (dir.empty() || dir.find_first_of("\r\n") != std::string::npos) {
        set_detail(detail, "the directory name is empty or contains a line break");
        return Status(Errc::invalid_argument);
    }
    if (options.listen_address.empty() || options.listen_address.find_first_of(" \t\r\n#") != std::string::npos) {
        set_detail(detail, "listen address '" + options.listen_address + "' is not an address or host name");
        return Status(Errc::invalid_argument);
    }
    if (options.port == 0) {
        set_detail(detail, "port 0 is not a listener port");
        return Status(Errc::invalid_argument);
    }
    std::vector<pki::GeneralName> names;
    std::string broker_cn;
    SEBIND_TRY(broker_names(options.hosts, names, broker_cn, detail));

    std::error_code ec;
    if (fs::exists(dir, ec)) {
        if (!fs::is_directory(dir, ec)) {
            set_detail(detail, dir + " exists and is not a directory");
            return Status(Errc::already_exists);
        }
        if (!fs::is_empty(dir, ec) && !options.force) {
            set_detail(detail, dir + " is not empty");
            return Status(Errc::already_exists);
        }
    } else if (!fs::create_directories(dir, ec) || ec) {
        set_detail(detail, "cannot create " + dir + ": " + ec.message());
        return Status(Errc::storage_failure);
    }
    Layout layout;
    layout.abs = fs::canonical(dir, ec).string();
    if (ec || layout.abs.find_first_of("\r\n") != std::string::npos) {
        set_detail(detail, "cannot resolve " + dir);
        return Status(Errc::storage_failure);
    }
    layout.port = std::to_string(options.port);
    layout.listen = options.listen_address;
    const passwd* owner = ::getpwuid(::geteuid());
    layout.user = owner && owner->pw_name ? owner->pw_name : "mosquitto";

    pki::Rng rng;
    pki::PkKey ca, broker, monitor;
    if (!rng.ok() || !generate_key(rng, ca, options.curve) || !generate_key(rng, broker, options.curve) ||
        !generate_key(rng, monitor, options.curve)) {
        set_detail(detail, "key generation failed (no entropy source?)");
        return Status(Errc::hardware_failure);
    }
    // A random tag in the CA name tells two development CAs apart in every tool's output.
    unsigned char tag[4];
    if (pki::Rng::random(rng.context(), tag, sizeof tag) != 0) return Status(Errc::hardware_failure);
    const std::string ca_name = "CN=sebind development CA " + hex_of(tag, sizeof tag) + ",O=sebind dev";

    auto make = [&](pki::PkKey& subject, const std::string& name, const pki::IssueSpec& spec) -> Result<std::string> {
        pki::CertWriter w;
        if (mbedtls_x509write_crt_set_subject_name(&w.crt, name.c_str()) != 0 ||
            mbedtls_x509write_crt_set_issuer_name(&w.crt, ca_name.c_str()) != 0)
            return Errc::invalid_argument;
        return pki::issue(w, rng, subject.ctx, ca.ctx, spec);
    };
    pki::IssueSpec ca_spec;
    ca_spec.profile = pki::Profile::ca;
    ca_spec.days = options.days + 365;  // outlives what it signs by default
    SEBIND_TRY_ASSIGN(std::string ca_pem, make(ca, ca_name, ca_spec));
    pki::IssueSpec broker_spec;
    broker_spec.profile = pki::Profile::server;
    broker_spec.days = options.days;
    SEBIND_TRY_ASSIGN(broker_spec.subject_alt_names, pki::encode_general_names(names));
    SEBIND_TRY_ASSIGN(std::string broker_pem, make(broker, "CN=" + broker_cn + ",O=sebind dev broker", broker_spec));
    pki::IssueSpec monitor_spec;
    monitor_spec.profile = pki::Profile::client;
    monitor_spec.days = options.days;
    SEBIND_TRY_ASSIGN(std::string monitor_pem,
                      make(monitor, std::string("CN=") + kMonitorCommonName + ",O=sebind dev", monitor_spec));

    for (const auto& n : names) {
        if (!layout.san_text.empty()) layout.san_text += ", ";
        if (n.tag == pki::kSanDns) {
            layout.san_text += "DNS:" + std::string(n.value.begin(), n.value.end());
        } else {
            char text[INET6_ADDRSTRLEN] = {};
            ::inet_ntop(n.value.size() == 4 ? AF_INET : AF_INET6, n.value.data(), text, sizeof text);
            layout.san_text += std::string("IP:") + text;
        }
    }

    struct Output {
        const char* name;
        Result<std::string> text;
        mode_t mode;
    };
    Output outputs[] = {
        {"ca.key", key_pem(ca.ctx), 0600},
        {"broker.key", key_pem(broker.ctx), 0600},
        {"monitor.key", key_pem(monitor.ctx), 0600},
        {"ca.pem", ca_pem, 0644},
        {"broker.pem", broker_pem, 0644},
        {"monitor.pem", monitor_pem, 0644},
        {"acl", acl_text(), 0600},
        {"mosquitto.conf", conf_text(layout), 0644},
        {"README.txt", readme_text(layout), 0644},
    };
    for (auto& out : outputs) {
        if (!out.text) return out.text.status();
        // Through a temporary file renamed over the name (file and directory synced): never seen
        // half-written, and a key file never exists with looser permissions than its mode.
        const int err = host::replace_file(layout.abs + "/" + out.name, *out.text, out.mode);
        mbedtls_platform_zeroize(out.text->data(), out.text->size());
        if (err) {
            set_detail(detail, "cannot write " + layout.abs + "/" + out.name + ": " + std::strerror(err));
            return Status(Errc::storage_failure);
        }
    }
    return Status::success();
}

}  // namespace sebind::identity
