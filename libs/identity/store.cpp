// SPDX-License-Identifier: Apache-2.0
// Writing and reading identity records on the chip: write the inactive copy (plain Updates, which
// may tear), read it back, then flip the header with one atomic Update (all or nothing).
#include <cstring>

#include <mbedtls/x509_crt.h>

#include "sebind/identity/identity.hpp"
#include "sebind/mbedtls_util/curves.hpp"
#include "sebind/stsafe/responses.hpp"

namespace sebind::identity {

namespace st = stsafe;

std::uint8_t default_zone(std::uint8_t slot) noexcept { return slot == st::kSlotFactory ? 0 : 4; }

namespace {

/// Zone size and writability from the chip (Query 0x12).
Result<st::ZoneInfo> zone_info(st::Device& device, std::uint8_t zone) {
    auto partition = device.query_partition();
    if (!partition) return partition.status();
    const st::ZoneInfo* z = partition->find(zone);
    if (!z) return Errc::does_not_exist;
    if (z->type != st::ZoneType::data) return Errc::invalid_argument;
    return *z;
}

/// Whether this host can pass the zone's update access condition (Query 0x12, §6.1): 0 = always;
/// 1 = host, i.e. a C-MAC, which needs host keys in the driver; every other value needs ST's
/// keys or means never. Checked before writing so that a refusal changes nothing and names the
/// cause (the chip would answer 0x11 to the first chunk).
Status check_writable(const st::Device& device, const st::ZoneInfo& z) {
    if (z.update_ac == static_cast<std::uint8_t>(st::ZoneAccess::always)) return Status::success();
    if (z.update_ac == static_cast<std::uint8_t>(st::ZoneAccess::host) && device.has_host_keys())
        return Status::success();
    return Status(Errc::not_permitted);
}

/// The current header, or nullopt for a zone without one.
Result<std::optional<ZoneHeader>> read_header(st::Device& device, std::uint8_t zone) {
    std::uint8_t buf[kHeaderSize];
    SEBIND_TRY(device.read(zone, 0, buf));
    auto h = decode_header(buf);
    if (h) return std::optional<ZoneHeader>(*h);
    if (h.status().code() == Errc::does_not_exist) return std::optional<ZoneHeader>();
    return h.status();
}

/// Writes `record` into the inactive copy and commits it.
Result<std::uint32_t> write_record(st::Device& device, std::uint8_t zone, std::uint8_t slot, st::Curve curve,
                                   const std::vector<std::uint8_t>& record) {
    SEBIND_TRY_ASSIGN(st::ZoneInfo z, zone_info(device, zone));
    SEBIND_TRY(check_writable(device, z));
    SEBIND_TRY_ASSIGN(std::optional<ZoneHeader> current, read_header(device, zone));
    const std::uint8_t target = current ? static_cast<std::uint8_t>(current->active_copy ^ 1) : 0;
    const CopyArea area = copy_area(z.size, target);
    if (record.size() > area.size || record.size() > 0xFFFF) return Errc::out_of_range;

    SEBIND_TRY(device.update(zone, static_cast<std::uint16_t>(area.offset), record));
    std::vector<std::uint8_t> back(record.size());
    SEBIND_TRY(device.read(zone, static_cast<std::uint16_t>(area.offset), back));
    if (back != record) return Errc::integrity_failure;

    ZoneHeader h;
    h.active_copy = target;
    h.generation = current ? current->generation + 1 : 1;
    h.slot = slot;
    h.curve = curve;
    h.record_size = static_cast<std::uint16_t>(record.size());
    h.record_digest = record_digest(record);
    const auto header = encode_header(h);
    // The commit point: one atomic Update of at most 64 bytes (§4.8).
    SEBIND_TRY(device.update(zone, 0, header, true));
    return h.generation;
}

struct ActiveRecord {
    Record record;
    ZoneHeader header;
};

Result<ActiveRecord> read_record(st::Device& device, std::uint8_t zone) {
    SEBIND_TRY_ASSIGN(st::ZoneInfo z, zone_info(device, zone));
    SEBIND_TRY_ASSIGN(std::optional<ZoneHeader> h, read_header(device, zone));
    if (!h) return Errc::does_not_exist;
    const CopyArea area = copy_area(z.size, h->active_copy);
    if (h->record_size > area.size) return Errc::corrupted_data;
    std::vector<std::uint8_t> record(h->record_size);
    SEBIND_TRY(device.read(zone, static_cast<std::uint16_t>(area.offset), record));
    if (record_digest(record) != h->record_digest) return Errc::corrupted_data;
    SEBIND_TRY_ASSIGN(Record r, decode_record(record, h->curve));
    return ActiveRecord{std::move(r), *h};
}

/// The factory layout: a DER certificate at offset 0 (§6.3).
Result<std::vector<std::uint8_t>> read_factory_certificate(st::Device& device, std::uint8_t zone,
                                                           std::size_t zone_size) {
    std::uint8_t head[4];
    SEBIND_TRY(device.read(zone, 0, head));
    auto total = st::der_total_length(head);
    if (!total) return Errc::does_not_exist;
    if (*total > zone_size) return Errc::corrupted_data;
    std::vector<std::uint8_t> der(*total);
    SEBIND_TRY(device.read(zone, 0, der));
    return der;
}

Result<st::PublicKey> certificate_key(Bytes der) {
    mbedtls_x509_crt crt;
    mbedtls_x509_crt_init(&crt);
    Result<st::PublicKey> out(Errc::invalid_argument);
    if (mbedtls_x509_crt_parse_der(&crt, der.data(), der.size()) == 0) {
        const mbedtls_ecp_keypair* ec = mbedtls_pk_ec(crt.pk);
        out = ec ? mbedtls_util::public_key_of(*ec) : Result<st::PublicKey>(Errc::not_supported);
    }
    mbedtls_x509_crt_free(&crt);
    return out;
}

}  // namespace

Result<st::PublicKey> keygen(st::Device& device, const KeygenOptions& options) {
    auto table = device.query_key_table();
    if (!table) return table.status();
    const st::KeySlotInfo* s = table->find(options.slot);
    if (s && s->present && !options.force) return Errc::already_exists;
    // Refuse before Generate Key: a key whose public half cannot be recorded is of no use.
    SEBIND_TRY_ASSIGN(st::ZoneInfo z, zone_info(device, options.zone));
    SEBIND_TRY(check_writable(device, z));
    SEBIND_TRY_ASSIGN(st::PublicKey pub, device.generate_key_pair(options.slot, options.curve, options.usage_limit));
    // The A110 cannot tell a key's public part later: record it now, without a certificate.
    SEBIND_TRY_ASSIGN(st::Curve curve, device.slot_curve(options.slot));
    if (curve != pub.curve) return Errc::invalid_response;
    Record record;
    record.public_key = pub;
    SEBIND_TRY_ASSIGN(std::uint32_t generation,
                      write_record(device, options.zone, options.slot, curve, encode_record(record)));
    (void)generation;
    return pub;
}

Result<st::PublicKey> slot_public_key(st::Device& device, std::uint8_t slot, std::uint8_t zone) {
    auto active = read_record(device, zone);
    if (active) {
        if (active->header.slot != slot) return Errc::does_not_exist;
        return active->record.public_key;
    }
    if (active.status().code() != Errc::does_not_exist) return active.status();
    SEBIND_TRY_ASSIGN(st::ZoneInfo z, zone_info(device, zone));
    SEBIND_TRY_ASSIGN(std::vector<std::uint8_t> der, read_factory_certificate(device, zone, z.size));
    return certificate_key(der);
}

Result<StoredCertificate> read_certificate(st::Device& device, std::uint8_t zone) {
    auto active = read_record(device, zone);
    if (active) {
        if (active->record.certificate.empty()) return Errc::does_not_exist;
        return StoredCertificate{std::move(active->record.certificate), false, active->header.generation};
    }
    if (active.status().code() != Errc::does_not_exist) return active.status();
    SEBIND_TRY_ASSIGN(st::ZoneInfo z, zone_info(device, zone));
    SEBIND_TRY_ASSIGN(std::vector<std::uint8_t> der, read_factory_certificate(device, zone, z.size));
    return StoredCertificate{std::move(der), true, 0};
}

Result<StoreReport> store_certificate(st::Device& device, Bytes input, const StoreOptions& options,
                                      std::string* error_detail) {
    auto detail = [&](const std::string& text) {
        if (error_detail) *error_detail = text;
    };
    // mbedtls_x509_crt_parse wants PEM NUL-terminated.
    std::vector<std::uint8_t> buf(input.begin(), input.end());
    buf.push_back(0);
    mbedtls_x509_crt chain;
    mbedtls_x509_crt_init(&chain);
    struct Guard {
        mbedtls_x509_crt* c;
        ~Guard() { mbedtls_x509_crt_free(c); }
    } guard{&chain};
    const bool pem = std::string_view(reinterpret_cast<const char*>(buf.data())).find("-----BEGIN") !=
                     std::string_view::npos;
    const int rc = pem ? mbedtls_x509_crt_parse(&chain, buf.data(), buf.size())
                       : mbedtls_x509_crt_parse_der(&chain, input.data(), input.size());
    if (rc != 0 || chain.raw.len == 0) {
        detail("not a certificate (PEM or DER)");
        return Errc::invalid_argument;
    }
    StoreReport report;
    char subject[512];
    mbedtls_x509_dn_gets(subject, sizeof subject, &chain.subject);
    report.subject = subject;
    for (const mbedtls_x509_crt* c = chain.next; c && c->raw.len; c = c->next) ++report.chain_rest;
    const Bytes leaf(chain.raw.p, chain.raw.len);

    auto table = device.query_key_table();
    if (!table) return table.status();
    const st::KeySlotInfo* slot = table->find(options.slot);
    if (!slot || !slot->present || !slot->curve) {
        detail("slot " + std::to_string(options.slot) + " holds no key");
        return Errc::does_not_exist;
    }
    auto key = certificate_key(leaf);
    if (!key) {
        detail("the certificate's key is not an EC key on a curve the A110 supports");
        return key.status();
    }
    if (key->curve != *slot->curve) {
        detail(std::string("the certificate is for ") + st::curve_info(key->curve).name + ", slot " +
               std::to_string(options.slot) + " holds a " + st::curve_info(*slot->curve).name + " key");
        return Errc::invalid_argument;
    }
    report.outside_validity = mbedtls_x509_time_is_past(&chain.valid_to) ||
                              mbedtls_x509_time_is_future(&chain.valid_from);
    if (report.outside_validity && !options.force) {
        detail("the certificate is outside its validity period");
        return Errc::expired;
    }
    Status paired = verify_pair(device, options.slot, leaf);
    if (!paired.ok()) {
        if (paired.code() == Errc::invalid_signature)
            detail("the certificate's public key is not the key in slot " + std::to_string(options.slot));
        return paired;
    }
    Record record;
    record.public_key = *key;
    record.certificate.assign(leaf.begin(), leaf.end());
    auto generation = write_record(device, options.zone, options.slot, *slot->curve, encode_record(record));
    if (!generation) {
        if (generation.status().code() == Errc::out_of_range) detail("the certificate does not fit the zone");
        if (generation.status().code() == Errc::not_permitted && !generation.status().device_status())
            detail("zone " + std::to_string(options.zone) +
                   " is read-only for this host (its update access condition)");
        return generation.status();
    }
    report.generation = *generation;
    return report;
}

}  // namespace sebind::identity
