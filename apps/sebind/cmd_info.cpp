// SPDX-License-Identifier: Apache-2.0
// `sebind info`: what the chip says about itself: product, life cycle, host keys, key slots,
// zones, and the zone-0 device certificate.
#include <cstdio>
#include <string>
#include <vector>

#include <mbedtls/x509_crt.h>
#include <nlohmann/json.hpp>

#include "cli.hpp"
#include "sebind/core/hex.hpp"
#include "sebind/stsafe/responses.hpp"

namespace sebind::cli {

namespace {

using nlohmann::json;
namespace st = stsafe;

const char* life_cycle_name(st::LifeCycle lc) {
    switch (lc) {
        case st::LifeCycle::born: return "born";
        case st::LifeCycle::operational: return "operational";
        case st::LifeCycle::terminated: return "terminated";
        case st::LifeCycle::born_locked: return "born, locked";
        case st::LifeCycle::operational_locked: return "operational, locked";
    }
    return "unknown";
}

const char* zone_ac_name(std::uint8_t ac) {
    switch (ac) {
        case 0: return "always";
        case 1: return "host";
        case 7: return "never";
        default: return "admin/never";
    }
}

std::string mode_flags(std::uint16_t mode) {
    if (mode == 0) return "unrestricted (0x0000)";
    std::string s;
    auto add = [&](const char* f) { s += s.empty() ? f : std::string(", ") + f; };
    if (mode & st::mode::kSignDigests) add("sign");
    if (mode & st::mode::kKeyEstablishment) add("key-establishment");
    if (mode & st::mode::kSignSessions) add("session-sign");
    if (mode & st::mode::kChangeRight) add("change-right");
    char hex[16];
    std::snprintf(hex, sizeof hex, " (0x%04X)", mode);
    return s + hex;
}

std::string x509_time(const mbedtls_x509_time& t) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", t.year, t.mon, t.day, t.hour, t.min, t.sec);
    return buf;
}

bool is_emulator(const st::ProductData& p) {
    // The emulator's Perso ID (product-data tag 0x0B) is "EMU" (docs/emulator.md).
    const std::string raw(reinterpret_cast<const char*>(p.raw.data()), p.raw.size());
    return raw.find(std::string("\x0b\x03", 2) + "EMU") != std::string::npos;
}

/// Zone-0 certificate: subject, issuer, validity (or why it could not be read).
json certificate_info(st::Device& se) {
    std::uint8_t head[4];
    if (Status s = se.read(0, 0, head); !s.ok()) return {{"error", std::string("read failed: ") + to_string(s.code())}};
    auto total = st::der_total_length(head);
    if (!total) return {{"error", "zone 0 does not start with a DER certificate"}};
    std::vector<std::uint8_t> der(*total);
    if (*total > 1000 || !se.read(0, 0, der).ok()) return {{"error", "certificate length exceeds the zone"}};
    mbedtls_x509_crt crt;
    mbedtls_x509_crt_init(&crt);
    json out;
    if (mbedtls_x509_crt_parse_der(&crt, der.data(), der.size()) != 0) {
        out = {{"error", "zone 0 holds an unparsable certificate"}};
    } else {
        char subject[512], issuer[512];
        mbedtls_x509_dn_gets(subject, sizeof subject, &crt.subject);
        mbedtls_x509_dn_gets(issuer, sizeof issuer, &crt.issuer);
        out = {{"subject", subject},
               {"issuer", issuer},
               {"not_before", x509_time(crt.valid_from)},
               {"not_after", x509_time(crt.valid_to)},
               {"expired", mbedtls_x509_time_is_past(&crt.valid_to) != 0},
               {"size", der.size()}};
    }
    mbedtls_x509_crt_free(&crt);
    return out;
}

json gather(st::Device& se) {
    json j;
    auto product = se.query_product_data();
    if (!product) fail(product.status(), "query product data");
    const bool emulated = is_emulator(*product);
    j["product"] = {{"name", st::to_string(st::product_from_mask(product->mask_id))},
                    {"emulated", emulated},
                    {"serial", to_hex(product->product_number)},
                    {"mask_id", to_hex(product->mask_id)},
                    {"io_buffer", product->io_buffer_size},
                    {"atomicity_buffer", product->atomicity_buffer_size},
                    {"nvm_size", product->nvm_size}};
    if (emulated) j["product"]["notice"] = "EMULATED — development only";

    auto lc = se.query_life_cycle();
    if (!lc) fail(lc.status(), "query life cycle");
    j["life_cycle"] = life_cycle_name(*lc);
    auto i2c = se.query_i2c_parameters();
    if (!i2c) fail(i2c.status(), "query I2C parameters");
    char addr[8];
    std::snprintf(addr, sizeof addr, "0x%02X", i2c->address);
    j["i2c"] = {{"address", addr}, {"locked", i2c->locked}, {"low_power_mode", i2c->low_power_mode}};
    auto host = se.query_host_key_slot();
    if (!host) fail(host.status(), "query host key slot");
    j["host_keys"] = {{"present", host->present}, {"cmac_counter", host->counter}};

    auto keys = se.query_key_table();
    if (!keys) fail(keys.status(), "query private key table");
    j["key_slots"] = json::array();
    for (std::size_t i = 0; i < keys->slot_count; ++i) {
        const st::KeySlotInfo& k = keys->slots[i];
        json slot = {{"slot", k.slot}, {"present", k.present}, {"mode", k.mode}, {"mode_flags", mode_flags(k.mode)},
                     {"usage", "not reported by the A110"}};
        if (k.curve) slot["curve"] = st::curve_info(*k.curve).name;
        j["key_slots"].push_back(slot);
    }
    j["global_usage_limit"] = keys->global_usage_limit;

    auto part = se.query_partition();
    if (!part) fail(part.status(), "query data partition");
    j["zones"] = json::array();
    for (std::size_t i = 0; i < part->zone_count; ++i) {
        const st::ZoneInfo& z = part->zones[i];
        json zone = {{"zone", z.index},
                     {"type", z.type == st::ZoneType::counter ? "counter" : "data"},
                     {"size", z.size},
                     {"read_ac", zone_ac_name(z.read_ac)},
                     {"update_ac", zone_ac_name(z.update_ac)},
                     {"read_change_right", z.read_change_right},
                     {"update_change_right", z.update_change_right}};
        if (z.type == st::ZoneType::counter) zone["counter"] = z.counter;
        j["zones"].push_back(zone);
    }
    j["certificate_zone0"] = certificate_info(se);
    return j;
}

void print_human(const json& j) {
    const auto& p = j["product"];
    std::printf("Product      %s%s\n", p["name"].get<std::string>().c_str(),
                p["emulated"].get<bool>() ? "  *** EMULATED — development only ***" : "");
    std::printf("Serial       %s\n", p["serial"].get<std::string>().c_str());
    std::printf("Buffers      I/O %d bytes, atomic %d bytes, NVM %d bytes\n", p["io_buffer"].get<int>(),
                p["atomicity_buffer"].get<int>(), p["nvm_size"].get<int>());
    std::printf("Life cycle   %s\n", j["life_cycle"].get<std::string>().c_str());
    std::printf("I2C          address %s%s, low-power mode %d\n", j["i2c"]["address"].get<std::string>().c_str(),
                j["i2c"]["locked"].get<bool>() ? " (locked)" : "", j["i2c"]["low_power_mode"].get<int>());
    if (j["host_keys"]["present"].get<bool>())
        std::printf("Host keys    provisioned, C-MAC counter %u\n", j["host_keys"]["cmac_counter"].get<unsigned>());
    else
        std::printf("Host keys    not provisioned\n");
    std::printf("\nKey slots\n");
    for (const auto& k : j["key_slots"]) {
        const int slot = k["slot"].get<int>();
        if (k["present"].get<bool>())
            std::printf("  %-4s %-16s %s\n", slot == 0xFF ? "0xFF" : std::to_string(slot).c_str(),
                        k.value("curve", "unknown curve").c_str(), k["mode_flags"].get<std::string>().c_str());
        else
            std::printf("  %-4s empty\n", slot == 0xFF ? "0xFF" : std::to_string(slot).c_str());
    }
    std::printf("\nZones        size  type     read     update   counter\n");
    for (const auto& z : j["zones"]) {
        std::printf("  %-4d %9d  %-7s  %-7s%s %-7s%s %s\n", z["zone"].get<int>(), z["size"].get<int>(),
                    z["type"].get<std::string>().c_str(), z["read_ac"].get<std::string>().c_str(),
                    z["read_change_right"].get<bool>() ? "*" : " ", z["update_ac"].get<std::string>().c_str(),
                    z["update_change_right"].get<bool>() ? "*" : " ",
                    z.contains("counter") ? std::to_string(z["counter"].get<unsigned>()).c_str() : "");
    }
    std::printf("  (* = access condition may still be tightened)\n");
    const auto& c = j["certificate_zone0"];
    std::printf("\nZone-0 certificate\n");
    if (c.contains("error")) {
        std::printf("  %s\n", c["error"].get<std::string>().c_str());
    } else {
        std::printf("  subject    %s\n", c["subject"].get<std::string>().c_str());
        std::printf("  issuer     %s\n", c["issuer"].get<std::string>().c_str());
        std::printf("  valid      %s .. %s%s\n", c["not_before"].get<std::string>().c_str(),
                    c["not_after"].get<std::string>().c_str(), c["expired"].get<bool>() ? "  (EXPIRED)" : "");
    }
}

}  // namespace

void add_info_command(CLI::App& app, GlobalOptions& global) {
    auto* cmd = app.add_subcommand("info", "Product data, life cycle, key slots, zones and the device certificate");
    cmd->callback([&global] {
        auto se = open_se(global);
        const json j = gather(se->device());
        if (global.json) std::printf("%s\n", j.dump(2).c_str());
        else print_human(j);
    });
}

}  // namespace sebind::cli
