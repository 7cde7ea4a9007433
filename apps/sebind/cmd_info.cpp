// SPDX-License-Identifier: Apache-2.0
// `sebind info`: what the chip says about itself: product, life cycle, host keys, key slots,
// zones, and the zone-0 device certificate.
#include <cstdio>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "identity_cli.hpp"
#include "sebind/core/hex.hpp"
#include "sebind/core/reader.hpp"
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

/// Zone AC values (§6.1): 0 always, 1 host C-MAC; 2 and 3 need ST's admin key; 4..7 never
/// (STSELib calls 6 "authentication + host", an A120 value).
const char* zone_ac_name(std::uint8_t ac) {
    switch (ac) {
        case 0: return "always";
        case 1: return "host";
        case 2:
        case 3: return "admin";
        default: return "never";
    }
}

std::string mode_flags(std::uint16_t mode) {
    if (mode == 0) return "none (0x0000)";  // every bit is a permission (§5.3)
    std::string s;
    auto add = [&](const char* f) { s += s.empty() ? f : std::string(", ") + f; };
    if (mode & st::mode::kSignDigests) add("sign");
    if (mode & st::mode::kKeyEstablishment) add("key-establishment");
    if (mode & st::mode::kSignSessions) add("session-sign");
    if (mode & st::mode::kChangeRight) add("change-right");
    // Bits 5..4 of the low byte: the slot's Generate Key access condition (§5.3, [S]).
    if (mode & 0x0030) add("keygen-needs-host-mac");
    char hex[16];
    std::snprintf(hex, sizeof hex, " (0x%04X)", mode);
    return s + hex;
}

std::string hex16(std::uint16_t v) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%04X", v);
    return buf;
}

/// Value of product-data TLV `tag` (§4.14 tag 0x11), or empty.
std::vector<std::uint8_t> product_tlv(const st::ProductData& p, std::uint8_t tag) {
    ByteReader r(p.raw.view());
    while (r.remaining() > 0) {
        std::uint8_t t = 0, len = 0;
        Bytes value;
        if (!r.u8(t) || !r.u8(len) || !r.take(len, value)) break;
        if (t == tag) return {value.begin(), value.end()};
    }
    return {};
}

bool is_emulator(const st::ProductData& p) {
    // The emulator identifies itself with Perso ID (tag 0x0B) "EMU"; real chips report 00 00 00
    // (docs/emulator.md).
    const std::vector<std::uint8_t> emu = {'E', 'M', 'U'};
    return product_tlv(p, 0x0B) == emu;
}

/// Zone-0 certificate: subject, issuer, validity (or why it could not be read).
json certificate_info(st::Device& se, std::size_t zone_size) {
    std::uint8_t head[4];
    if (Status s = se.read(0, 0, head); !s.ok()) return {{"error", std::string("read failed: ") + to_string(s.code())}};
    // Length from the DER header, whichever form it uses (§6.3), never more than the zone holds.
    auto total = st::der_total_length(head);
    if (!total) return {{"error", "zone 0 does not start with a DER certificate"}};
    if (*total > zone_size) return {{"error", "the DER header claims more bytes than zone 0 holds"}};
    std::vector<std::uint8_t> der(*total);
    if (Status s = se.read(0, 0, der); !s.ok()) return {{"error", std::string("read failed: ") + to_string(s.code())}};
    json out = certificate_json(der);
    if (out.empty()) return {{"error", "zone 0 holds an unparsable certificate"}};
    out.erase("not_yet_valid");  // `info` reports expiry only
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
                    {"nvm_size", product->nvm_size},
                    {"test_date", hex16(product->test_date)},
                    {"module_date", hex16(product->module_date)},
                    {"internal_version", product->internal_product_version},
                    {"perso_id", to_hex(product_tlv(*product, 0x0B))}};
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
        json slot = {{"slot", k.slot},
                     {"present", k.present},
                     {"mode", k.mode},
                     {"mode_flags", mode_flags(k.mode)},
                     {"usage_count", nullptr} /* the A110 does not report per-slot usage */};
        // Keys stay stable for scripts: null when the slot is empty or its curve OID unknown.
        slot["curve"] = k.curve ? json(st::curve_info(*k.curve).name) : json(nullptr);
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
                     {"read_ac_value", z.read_ac},
                     {"update_ac", zone_ac_name(z.update_ac)},
                     {"update_ac_value", z.update_ac},
                     {"read_change_right", z.read_change_right},
                     {"update_change_right", z.update_change_right}};
        zone["counter"] = z.type == st::ZoneType::counter ? json(z.counter) : json(nullptr);
        j["zones"].push_back(zone);
    }
    const st::ZoneInfo* zone0 = part->find(0);
    if (zone0)
        j["certificate_zone0"] = certificate_info(se, zone0->size);
    else
        j["certificate_zone0"] = {{"error", "the chip has no zone 0"}};
    return j;
}

std::string slot_name(int slot) { return slot == 0xFF ? "0xFF" : std::to_string(slot); }

void print_human(const json& j) {
    const auto& p = j["product"];
    const char* row = "%-13s%s\n";
    std::printf("%-13s%s%s\n", "Product", p["name"].get<std::string>().c_str(),
                p["emulated"].get<bool>() ? "  *** EMULATED — development only ***" : "");
    std::printf(row, "Serial", p["serial"].get<std::string>().c_str());
    std::printf("%-13smask %s, internal version %d, test date %s, module date %s, perso ID %s\n", "Product data",
                p["mask_id"].get<std::string>().c_str(), p["internal_version"].get<int>(),
                p["test_date"].get<std::string>().c_str(), p["module_date"].get<std::string>().c_str(),
                p["perso_id"].get<std::string>().empty() ? "-" : p["perso_id"].get<std::string>().c_str());
    std::printf("%-13sI/O %d bytes, atomicity %d bytes, NVM %d bytes\n", "Buffers", p["io_buffer"].get<int>(),
                p["atomicity_buffer"].get<int>(), p["nvm_size"].get<int>());
    std::printf(row, "Life cycle", j["life_cycle"].get<std::string>().c_str());
    std::printf("%-13saddress %s%s, low-power mode %d\n", "I2C", j["i2c"]["address"].get<std::string>().c_str(),
                j["i2c"]["locked"].get<bool>() ? " (locked)" : "", j["i2c"]["low_power_mode"].get<int>());
    if (j["host_keys"]["present"].get<bool>())
        std::printf("%-13sprovisioned, C-MAC counter %u\n", "Host keys",
                    j["host_keys"]["cmac_counter"].get<unsigned>());
    else
        std::printf(row, "Host keys", "not provisioned");

    std::printf("\nKey slots (global usage limit %u; per-slot usage not reported by the A110)\n",
                j["global_usage_limit"].get<unsigned>());
    std::printf("  %-5s %-8s %-16s %s\n", "slot", "state", "curve", "mode");
    for (const auto& k : j["key_slots"]) {
        const bool present = k["present"].get<bool>();
        std::printf("  %-5s %-8s %-16s %s\n", slot_name(k["slot"].get<int>()).c_str(), present ? "key" : "empty",
                    !present                 ? "-"
                    : k["curve"].is_string() ? k["curve"].get_ref<const std::string&>().c_str()
                                             : "unknown",
                    present ? k["mode_flags"].get<std::string>().c_str() : "-");
    }

    std::printf("\nZones\n  %-5s %-8s %6s  %-8s %-8s %s\n", "zone", "type", "size", "read", "update", "counter");
    for (const auto& z : j["zones"]) {
        const std::string read = z["read_ac"].get<std::string>() + (z["read_change_right"].get<bool>() ? "*" : "");
        const std::string update = z["update_ac"].get<std::string>() +
                                   (z["update_change_right"].get<bool>() ? "*" : "");
        std::printf("  %-5d %-8s %6d  %-8s %-8s %s\n", z["zone"].get<int>(), z["type"].get<std::string>().c_str(),
                    z["size"].get<int>(), read.c_str(), update.c_str(),
                    z["counter"].is_number() ? std::to_string(z["counter"].get<unsigned>()).c_str() : "-");
    }
    std::printf("  (* = the access condition may still be changed, towards stricter only)\n");

    const auto& c = j["certificate_zone0"];
    std::printf("\nZone-0 certificate\n");
    if (c.contains("error")) {
        std::printf("  %s\n", c["error"].get<std::string>().c_str());
    } else {
        std::printf("  %-9s%s\n", "subject", c["subject"].get<std::string>().c_str());
        std::printf("  %-9s%s\n", "issuer", c["issuer"].get<std::string>().c_str());
        std::printf("  %-9s%s .. %s%s\n", "valid", c["not_before"].get<std::string>().c_str(),
                    c["not_after"].get<std::string>().c_str(), c["expired"].get<bool>() ? "  (EXPIRED)" : "");
        std::printf("  %-9s%d bytes (DER)\n", "size", c["size"].get<int>());
    }
}

}  // namespace

void add_info_command(CLI::App& app, GlobalOptions& global) {
    auto* cmd = app.add_subcommand("info", "Product data, life cycle, key slots, zones and the device certificate");
    cmd->callback([&global] {
        auto se = open_se(global);
        const json j = gather(se->device());
        if (global.json)
            std::printf("%s\n", j.dump(2).c_str());
        else
            print_human(j);
    });
}

}  // namespace sebind::cli
