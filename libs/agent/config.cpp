// SPDX-License-Identifier: Apache-2.0
// device.toml -> AgentConfig with toml++: every key checked, one line per mistake with its fix.
#include "sebind/agent/config.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>
#include <sstream>
#include <stdexcept>

#include <mbedtls/x509_crt.h>
#include <toml++/toml.h>

#include "sebind/core/hex.hpp"
#include "sebind/host/files.hpp"

#include "sebind/mqtt/codec/topic.hpp"
#include "sebind/mqtt/session/session.hpp"

namespace sebind::agent {

const char* to_string(SensorType t) noexcept {
    switch (t) {
        case SensorType::thermal: return "thermal";
        case SensorType::hwmon: return "hwmon";
        case SensorType::loadavg: return "loadavg";
        case SensorType::simulated: return "simulated";
    }
    return "unknown";
}

const char* to_string(Waveform w) noexcept {
    switch (w) {
        case Waveform::sine: return "sine";
        case Waveform::triangle: return "triangle";
        case Waveform::sawtooth: return "sawtooth";
        case Waveform::square: return "square";
        case Waveform::constant: return "constant";
    }
    return "unknown";
}

std::string expand_topic(const std::string& pattern, const std::string& common_name) {
    std::string out = pattern;
    for (std::size_t at = out.find("{cn}"); at != std::string::npos; at = out.find("{cn}", at + common_name.size()))
        out.replace(at, 4, common_name);
    return out;
}

namespace {

/// The first mistake found; parse_config turns it into the one-line error. What it quotes from
/// the file may hold a NUL or a line break: escaped, so the line is whole and one line.
struct ConfigError : std::runtime_error {
    explicit ConfigError(const std::string& message) : std::runtime_error(printable(message, 4096)) {}
};

std::size_t edit_distance(const std::string& a, const std::string& b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diag = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diag = up;
        }
    }
    return row[b.size()];
}

std::string join(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
    return out;
}

/// "did you mean 'host'? " when a known name is a typo away.
std::string suggestion(const std::string& name, const std::vector<std::string>& known, const char* open,
                       const char* close) {
    std::string best;
    std::size_t best_d = 3;
    for (const auto& k : known) {
        const std::size_t d = edit_distance(name, k);
        if (d < best_d) best_d = d, best = k;
    }
    return best.empty() ? std::string() : "did you mean " + std::string(open) + best + close + "? ";
}

/// RFC 1035: a DNS name is at most 253 characters in text form.
constexpr std::size_t kMaxHostName = 253;

class Reader {
public:
    Reader(std::string source, std::string base_dir) : m_source(std::move(source)), m_base(std::move(base_dir)) {}

    [[noreturn]] void fail(const toml::source_region& where, const std::string& what, const std::string& fix) const {
        std::string at = m_source;
        if (where.begin.line != 0) at += ":" + std::to_string(where.begin.line);
        throw ConfigError(at + ": " + what + " — " + fix);
    }
    [[noreturn]] void fail_missing(const std::string& what, const std::string& fix) const {
        throw ConfigError(m_source + ": " + what + " — " + fix);
    }

    /// Refuses keys of `table` not in `known`; `where` names the table in messages ("[broker]").
    void check_keys(const toml::table& table, const std::string& where, const std::vector<std::string>& known) const {
        for (auto&& [key, node] : table) {
            const std::string k(key.str());
            if (std::find(known.begin(), known.end(), k) != known.end()) continue;
            fail(key.source(), "unknown key '" + k + "' in " + where,
                 suggestion(k, known, "'", "'") + "(known keys: " + join(known) + "; see docs/agent.md)");
        }
    }

    std::string label(const std::string& where, const std::string& key) const { return where + " " + key; }

    std::optional<std::string> string(const toml::table& t, const std::string& where, const std::string& key,
                                      bool non_empty = true) const {
        const toml::node* n = t.get(key);
        if (!n) return std::nullopt;
        const auto v = n->value<std::string>();
        if (!n->is_string() || !v)
            fail(n->source(), label(where, key) + " must be a string",
                 "write it in quotes, e.g. " + key + " = \"...\"");
        if (non_empty && v->empty())
            fail(n->source(), label(where, key) + " is empty", "give it a value or remove the line for the default");
        return v;
    }

    std::optional<std::int64_t> integer(const toml::table& t, const std::string& where, const std::string& key,
                                        std::int64_t lo, std::int64_t hi) const {
        const toml::node* n = t.get(key);
        if (!n) return std::nullopt;
        if (!n->is_integer())
            fail(n->source(), label(where, key) + " must be an integer",
                 "use a whole number in " + std::to_string(lo) + ".." + std::to_string(hi));
        const std::int64_t v = *n->value<std::int64_t>();
        if (v < lo || v > hi)
            fail(n->source(), label(where, key) + " = " + std::to_string(v) + " is out of range",
                 "use " + std::to_string(lo) + ".." + std::to_string(hi));
        return v;
    }

    std::optional<double> number(const toml::table& t, const std::string& where, const std::string& key, double lo,
                                 double hi) const {
        const toml::node* n = t.get(key);
        if (!n) return std::nullopt;
        if (!n->is_number()) fail(n->source(), label(where, key) + " must be a number", "e.g. " + key + " = 1.5");
        const double v = *n->value<double>();
        if (!std::isfinite(v) || v < lo || v > hi) {
            std::ostringstream range;
            range << "use a value in " << lo << ".." << hi;
            std::ostringstream shown;
            shown << v;
            fail(n->source(), label(where, key) + " = " + shown.str() + " is out of range", range.str());
        }
        return v;
    }

    std::optional<bool> boolean(const toml::table& t, const std::string& where, const std::string& key) const {
        const toml::node* n = t.get(key);
        if (!n) return std::nullopt;
        if (!n->is_boolean())
            fail(n->source(), label(where, key) + " must be true or false",
                 "write " + key + " = true or false (no quotes)");
        return *n->value<bool>();
    }

    /// A string that must be one of `choices`.
    std::optional<std::string> choice(const toml::table& t, const std::string& where, const std::string& key,
                                      const std::vector<std::string>& choices) const {
        auto v = string(t, where, key);
        if (!v) return v;
        if (std::find(choices.begin(), choices.end(), *v) == choices.end())
            fail(t.get(key)->source(), label(where, key) + " = \"" + *v + "\" is not allowed",
                 "use one of: " + join(choices));
        return v;
    }

    std::vector<std::string> strings(const toml::table& t, const std::string& where, const std::string& key) const {
        std::vector<std::string> out;
        const toml::node* n = t.get(key);
        if (!n) return out;
        const toml::array* a = n->as_array();
        if (!a)
            fail(n->source(), label(where, key) + " must be an array of strings", "e.g. " + key + " = [\"a\", \"b\"]");
        for (const toml::node& e : *a) {
            const auto s = e.value<std::string>();
            if (!e.is_string() || !s || s->empty())
                fail(e.source(), label(where, key) + " must hold non-empty strings",
                     "e.g. " + key + " = [\"a\", \"b\"]");
            out.push_back(*s);
        }
        return out;
    }

    const toml::table* section(const toml::table& root, const std::string& name) const {
        const toml::node* n = root.get(name);
        if (!n) return nullptr;
        const toml::table* t = n->as_table();
        if (!t)
            fail(n->source(), "'" + name + "' must be a section", "write it as [" + name + "] followed by its keys");
        return t;
    }

    std::string path(const std::string& p) const {
        if (p.empty() || p[0] == '/' || m_base.empty()) return p;
        return m_base + "/" + p;
    }

private:
    std::string m_source;
    std::string m_base;
};

void read_sensor(const Reader& r, const toml::table& t, std::size_t index, AgentConfig& cfg) {
    const std::string where = "[[sensor]] #" + std::to_string(index + 1);
    SensorConfig s;
    s.line = static_cast<int>(t.source().begin.line);
    const auto type = r.choice(t, where, "type", {"thermal", "hwmon", "loadavg", "simulated"});
    if (!type)
        r.fail(t.source(), where + " has no type", "add type = \"thermal\", \"hwmon\", \"loadavg\" or \"simulated\"");
    if (*type == "thermal") {
        s.type = SensorType::thermal;
        r.check_keys(t, where + " (thermal)", {"type", "name", "root", "zones"});
        s.root = r.path(r.string(t, where, "root").value_or("/sys/class/thermal"));
        s.only = r.strings(t, where, "zones");
    } else if (*type == "hwmon") {
        s.type = SensorType::hwmon;
        r.check_keys(t, where + " (hwmon)", {"type", "name", "root", "chips"});
        s.root = r.path(r.string(t, where, "root").value_or("/sys/class/hwmon"));
        s.only = r.strings(t, where, "chips");
    } else if (*type == "loadavg") {
        s.type = SensorType::loadavg;
        r.check_keys(t, where + " (loadavg)", {"type", "name", "path"});
        s.root = r.path(r.string(t, where, "path").value_or("/proc/loadavg"));
    } else {
        s.type = SensorType::simulated;
        r.check_keys(t, where + " (simulated)", {"type", "name", "unit", "waveform", "period_s", "min", "max"});
        if (!t.get("name"))
            r.fail(t.source(), where + " (simulated) has no name", "add name = \"...\" (it names the readings)");
        s.unit = r.string(t, where, "unit", false).value_or("");
        const auto w = r.choice(t, where, "waveform", {"sine", "triangle", "sawtooth", "square", "constant"})
                           .value_or(to_string(s.waveform));
        s.waveform = w == "triangle"   ? Waveform::triangle
                     : w == "sawtooth" ? Waveform::sawtooth
                     : w == "square"   ? Waveform::square
                     : w == "constant" ? Waveform::constant
                                       : Waveform::sine;
        s.period_s = r.number(t, where, "period_s", 0.001, 1e9).value_or(s.period_s);
        s.min = r.number(t, where, "min", -1e15, 1e15).value_or(s.min);
        s.max = r.number(t, where, "max", -1e15, 1e15).value_or(s.max);
        if (s.max < s.min) r.fail(t.source(), where + " has max < min", "swap them or fix one");
    }
    s.name = r.string(t, where, "name").value_or(to_string(s.type));
    for (const auto& other : cfg.sensors)
        if (other.name == s.name)
            r.fail(t.source(), where + " name \"" + s.name + "\" is used twice", "give each [[sensor]] its own name");
    cfg.sensors.push_back(std::move(s));
}

/// The broker CA must be readable PEM certificates now, not at the first connection attempt: a
/// wrong file is a configuration error (36), never a reason to retry forever.
void check_ca_file(const Reader& r, const toml::source_region& where, const std::string& path) {
    std::string text;
    const int err = host::read_file(path, host::limits::certificate, text);
    if (err == EFBIG)
        r.fail(where,
               "[broker] ca_file " + path + " is larger than " + host::size_text(host::limits::certificate) +
                   ", the limit for a CA bundle",
               "point ca_file at the broker CA's PEM file");
    if (err == EISDIR)
        r.fail(where, "[broker] ca_file " + path + " is a directory",
               "point ca_file at the broker CA's PEM file in it");
    if (err)
        r.fail(where, "[broker] ca_file " + path + " cannot be read (" + std::strerror(err) + ")",
               "check the path and its permissions");
    mbedtls_x509_crt ca;
    mbedtls_x509_crt_init(&ca);
    text.push_back('\0');  // PEM parsing counts the terminating NUL
    const bool pem = text.find("-----BEGIN CERTIFICATE-----") != std::string::npos;
    const int rc = pem ? mbedtls_x509_crt_parse(&ca, reinterpret_cast<const unsigned char*>(text.data()), text.size())
                       : -1;
    const bool any = rc >= 0 && ca.raw.len > 0;
    mbedtls_x509_crt_free(&ca);
    if (!pem || !any)
        r.fail(where, "[broker] ca_file " + path + " holds no PEM certificate",
               "point ca_file at the broker CA's certificate in PEM (-----BEGIN CERTIFICATE-----)");
}

AgentConfig read_config(const Reader& r, const toml::table& root, const std::string& source) {
    AgentConfig cfg;
    cfg.source = source;
    r.check_keys(root, "the file (sections)", {"se", "identity", "broker", "outbox", "telemetry", "sensor"});

    if (const toml::table* se = r.section(root, "se")) {
        r.check_keys(*se, "[se]", {"uri"});
        cfg.se_uri = r.string(*se, "[se]", "uri").value_or(cfg.se_uri);
    }
    if (const toml::table* id = r.section(root, "identity")) {
        r.check_keys(*id, "[identity]", {"slot", "zone"});
        cfg.slot = static_cast<std::uint8_t>(r.integer(*id, "[identity]", "slot", 0, 1).value_or(cfg.slot));
        if (auto z = r.integer(*id, "[identity]", "zone", 0, 7)) cfg.zone = static_cast<std::uint8_t>(*z);
    }

    const toml::table* broker = r.section(root, "broker");
    if (!broker)
        r.fail_missing("no [broker] section", "add [broker] with at least ca_file = \"ca.pem\" (see docs/agent.md)");
    const std::string b = "[broker]";
    r.check_keys(*broker, b,
                 {"host", "port", "ca_file", "chain_file", "alpn", "keep_alive", "client_id", "protocol", "stack",
                  "tls", "session_tickets", "chip_ecdhe", "clean_start", "session_expiry_s", "timeout_s",
                  "reconnect_initial_s", "reconnect_max_s"});
    cfg.host = r.string(*broker, b, "host").value_or(cfg.host);
    if (cfg.host.size() > kMaxHostName)
        r.fail(broker->get("host")->source(),
               "[broker] host is " + std::to_string(cfg.host.size()) + " characters long, a DNS name has at most " +
                   std::to_string(kMaxHostName),
               "use the broker's host name or address");
    if (cfg.host.find_first_of(" \t/") != std::string::npos)
        r.fail(broker->get("host")->source(), "[broker] host \"" + cfg.host + "\" is not a host name",
               "use a DNS name such as \"localhost\"");
    cfg.port = static_cast<std::uint16_t>(r.integer(*broker, b, "port", 1, 65535).value_or(cfg.port));
    const auto ca = r.string(*broker, b, "ca_file");
    if (!ca)
        r.fail_missing("[broker] ca_file is missing",
                       "set it to the broker CA's PEM file (e.g. the ca.pem of `sebind pki dev`)");
    cfg.ca_file = r.path(*ca);
    check_ca_file(r, broker->get("ca_file")->source(), cfg.ca_file);
    if (const auto chain = r.string(*broker, b, "chain_file")) cfg.chain_file = r.path(*chain);
    cfg.alpn = r.strings(*broker, b, "alpn");
    for (const auto& p : cfg.alpn)
        if (p.size() > 255)
            r.fail(broker->get("alpn")->source(), "[broker] alpn holds a protocol name longer than 255 bytes",
                   "use the broker's protocol name, e.g. \"x-amzn-mqtt-ca\"");
    cfg.keep_alive_s = static_cast<std::uint16_t>(
        r.integer(*broker, b, "keep_alive", 0, 65535).value_or(cfg.keep_alive_s));
    cfg.client_id = r.string(*broker, b, "client_id").value_or(cfg.client_id);
    // The session's own rule, so an id this file accepts is never refused at CONNECT time.
    if (mqtt::check_client_id(cfg.client_id) != mqtt::Error::ok)
        r.fail(
            broker->get("client_id")->source(), "[broker] client_id is not a valid MQTT client id",
            "use at most " + std::to_string(mqtt::kMaxClientIdBytes) + " bytes of UTF-8, or remove it to use the CN");
    if (const toml::node* p = broker->get("protocol")) {
        // 5 may be written as a number; 3.1.1 can only be a string.
        const auto text = p->is_integer() ? std::optional<std::string>(std::to_string(*p->value<std::int64_t>()))
                                          : p->value<std::string>();
        if (text && (*text == "3.1.1" || *text == "4"))
            cfg.protocol = mqtt::ProtocolVersion::v3_1_1;
        else if (text && (*text == "5" || *text == "5.0"))
            cfg.protocol = mqtt::ProtocolVersion::v5;
        else
            r.fail(p->source(), "[broker] protocol must be \"3.1.1\" or \"5\"",
                   "write protocol = \"3.1.1\" or protocol = \"5\"");
    }
    if (const auto v = r.choice(*broker, b, "stack", {"mbedtls", "wolfssl"}); v && *v == "wolfssl") {
#if SEBIND_HAVE_WOLFSSL
        cfg.stack = TlsStack::wolfssl;
#else
        r.fail(broker->get("stack")->source(), "[broker] stack = \"wolfssl\": this sebind was built without wolfSSL",
               "use stack = \"mbedtls\"");
#endif
    }
    if (const auto v = r.choice(*broker, b, "tls", {"1.2", "1.3"})) {
        cfg.tls_version = *v == "1.2" ? TlsVersion::tls12 : TlsVersion::tls13;
        if (cfg.tls_version == TlsVersion::tls13 && cfg.stack == TlsStack::mbedtls)
            r.fail(broker->get("tls")->source(),
                   "[broker] tls = \"1.3\" needs stack = \"wolfssl\" (Debian's mbedTLS 2.28 speaks TLS 1.2)",
                   "add stack = \"wolfssl\" or use tls = \"1.2\"");
    }
    cfg.session_tickets = r.boolean(*broker, b, "session_tickets").value_or(cfg.session_tickets);
    cfg.chip_ecdhe = r.boolean(*broker, b, "chip_ecdhe").value_or(cfg.chip_ecdhe);
    if (cfg.chip_ecdhe && cfg.stack != TlsStack::mbedtls)
        r.fail(broker->get("chip_ecdhe")->source(), "[broker] chip_ecdhe = true needs stack = \"mbedtls\"",
               "use stack = \"mbedtls\" or leave chip_ecdhe out");
    cfg.clean_start = r.boolean(*broker, b, "clean_start").value_or(cfg.clean_start);
    cfg.session_expiry_s = static_cast<std::uint32_t>(
        r.integer(*broker, b, "session_expiry_s", 0, 0xFFFFFFFF).value_or(cfg.session_expiry_s));
    cfg.timeout_ms = static_cast<std::uint32_t>(
        r.number(*broker, b, "timeout_s", 0.1, 600).value_or(cfg.timeout_ms / 1000.0) * 1000);
    cfg.reconnect_initial_ms = static_cast<std::uint32_t>(
        r.number(*broker, b, "reconnect_initial_s", 0.01, 3600).value_or(cfg.reconnect_initial_ms / 1000.0) * 1000);
    cfg.reconnect_max_ms = static_cast<std::uint32_t>(
        r.number(*broker, b, "reconnect_max_s", 0.01, 86400).value_or(cfg.reconnect_max_ms / 1000.0) * 1000);
    if (cfg.reconnect_max_ms < cfg.reconnect_initial_ms)
        r.fail(broker->source(), "[broker] reconnect_max_s is below reconnect_initial_s", "raise reconnect_max_s");

    if (const toml::table* o = r.section(root, "outbox")) {
        const std::string w = "[outbox]";
        r.check_keys(*o, w, {"dir", "max_messages", "max_bytes", "sync", "drain_timeout_s"});
        cfg.outbox_dir = r.path(r.string(*o, w, "dir").value_or(cfg.outbox_dir));
        cfg.max_messages = static_cast<std::size_t>(
            r.integer(*o, w, "max_messages", 1, 65000).value_or(cfg.max_messages));
        cfg.max_bytes = static_cast<std::uint64_t>(
            r.integer(*o, w, "max_bytes", 1024, std::int64_t{1} << 40).value_or(cfg.max_bytes));
        if (const auto v = r.choice(*o, w, "sync", {"every_record", "batch"}))
            cfg.sync = *v == "batch" ? mqtt::SyncPolicy::batch : mqtt::SyncPolicy::every_record;
        cfg.drain_timeout_ms = static_cast<std::uint32_t>(
            r.number(*o, w, "drain_timeout_s", 0, 3600).value_or(cfg.drain_timeout_ms / 1000.0) * 1000);
    }

    if (const toml::table* t = r.section(root, "telemetry")) {
        const std::string w = "[telemetry]";
        r.check_keys(*t, w, {"interval_s", "qos", "topic"});
        cfg.interval_s = r.number(*t, w, "interval_s", 0.01, 86400).value_or(cfg.interval_s);
        cfg.qos = static_cast<mqtt::QoS>(r.integer(*t, w, "qos", 0, 2).value_or(static_cast<std::int64_t>(cfg.qos)));
        cfg.topic = r.string(*t, w, "topic").value_or(cfg.topic);
        if (!cfg.topic.empty() && mqtt::check_topic_name(expand_topic(cfg.topic, "cn")) != mqtt::Error::ok)
            r.fail(t->get("topic")->source(), "[telemetry] topic \"" + cfg.topic + "\" is not a valid MQTT topic name",
                   "remove '+' and '#' (use {cn} for the device's name)");
    }

    if (const toml::node* n = root.get("sensor")) {
        const toml::array* list = n->as_array();
        if (!list || !list->is_array_of_tables())
            r.fail(n->source(), "'sensor' must be a list of [[sensor]] entries",
                   "write each sensor as [[sensor]] followed by type = \"...\"");
        std::size_t i = 0;
        for (const toml::node& e : *list) read_sensor(r, *e.as_table(), i++, cfg);
    }
    if (cfg.sensors.empty())
        r.fail_missing("no [[sensor]] entries", "add one, e.g. [[sensor]] type = \"loadavg\" (see docs/agent.md)");
    return cfg;
}

}  // namespace

Result<AgentConfig> parse_config(const std::string& text, const std::string& source, const std::string& base_dir,
                                 std::string* error) {
    const std::string shown = source.empty() ? "config" : source;
    Reader reader(shown, base_dir);
    try {
        const toml::table root = toml::parse(text, shown);
        return read_config(reader, root, source);
    } catch (const toml::parse_error& e) {
        if (error) {
            const auto line = e.source().begin.line;
            *error = shown + (line ? ":" + std::to_string(line) : std::string()) + ": not valid TOML (" +
                     std::string(e.description()) + ") — fix the syntax (https://toml.io)";
        }
    } catch (const ConfigError& e) {
        if (error) *error = e.what();
    }
    return Errc::invalid_argument;
}

Result<AgentConfig> load_config(const std::string& path, std::string* error) {
    std::string text;
    const int err = host::read_file(path, host::limits::agent_config, text);
    if (err == EISDIR) {
        if (error)
            *error = path + " is a directory — pass the device.toml file (e.g. --config " + path + "/device.toml)";
        return Errc::invalid_argument;
    }
    if (err == EFBIG) {
        if (error)
            *error =
                path + " is larger than " + host::size_text(host::limits::agent_config) +
                ", the limit for device.toml — pass the agent's configuration file (an example: examples/device.toml)";
        return Errc::out_of_range;
    }
    if (err) {
        if (error)
            *error = "cannot read " + path + " (" + std::strerror(err) +
                     ") — check the path (an example: examples/device.toml)";
        return err == ENOENT ? Errc::does_not_exist : Errc::storage_failure;
    }
    const std::size_t slash = path.rfind('/');
    const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
    return parse_config(text, path, dir, error);
}

}  // namespace sebind::agent
