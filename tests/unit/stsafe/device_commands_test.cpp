// SPDX-License-Identifier: Apache-2.0
// Device commands against a fake chip: exact command frames (the protocol doc's captures and
// computed frames of §2.3 / §4), chunking (§1.7), typed results, argument checks, caches.
#include <gtest/gtest.h>

#include "fake_chip.hpp"

using namespace sebind;
using namespace sebind::stsafe;
using namespace sebind::test;

namespace {

Frame signature_payload(std::size_t r_len, std::size_t s_len, std::uint8_t r_fill = 0x11, std::uint8_t s_fill = 0x22) {
    Frame p = {static_cast<std::uint8_t>(r_len >> 8), static_cast<std::uint8_t>(r_len)};
    p.insert(p.end(), r_len, r_fill);
    p.push_back(static_cast<std::uint8_t>(s_len >> 8));
    p.push_back(static_cast<std::uint8_t>(s_len));
    p.insert(p.end(), s_len, s_fill);
    return p;
}

Frame point_payload(std::size_t n, std::uint8_t x = 0xAA, std::uint8_t y = 0xBB) {
    Frame p = {0x04, 0x00, static_cast<std::uint8_t>(n)};
    p.insert(p.end(), n, x);
    p.push_back(0x00);
    p.push_back(static_cast<std::uint8_t>(n));
    p.insert(p.end(), n, y);
    return p;
}

Frame filled(std::size_t n, std::uint8_t start) {
    Frame f(n);
    for (std::size_t i = 0; i < n; ++i) f[i] = static_cast<std::uint8_t>(start + i);
    return f;
}

}  // namespace

TEST(DeviceCommands, FramesMatchTheProtocolDocVectors) {
    Rig rig;
    rig.bus.chip.handler = [](const SeenCommand& c) {
        if (c.code == 0x02) return Reply{0, Frame(32, 0x33)};
        return Reply{0, {}};
    };
    ASSERT_TRUE(rig.device.reset().ok());
    std::uint8_t rnd[32];
    ASSERT_TRUE(rig.device.generate_random(rnd).ok());
    ASSERT_TRUE(rig.device.hibernate(WakeUpMode::i2c_start_or_reset).ok());
    ASSERT_TRUE(rig.device.delete_password().ok());
    ASSERT_TRUE(rig.device.generate_local_envelope_key(0, EnvelopeKeyType::aes128).ok());
    ASSERT_TRUE(rig.device.generate_local_envelope_key(1, EnvelopeKeyType::aes128).ok());
    const std::vector<std::string> expected = {
        "01e1f1",       "0200205276", "0d01aeb6", "0c093b26",
        "11070000afc1",  // real capture
        "11070100b619",  // real capture
    };
    ASSERT_EQ(rig.bus.writes.size(), expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(to_hex(rig.bus.writes[i]), expected[i]);
}

TEST(DeviceCommands, QueryFramesMatchTheDocVectors) {
    Rig rig;
    rig.bus.respond = [](const CommandFrame&) { return response_frame(0x10, {}); };
    (void)rig.device.query_product_data();
    (void)rig.device.query_partition();
    (void)rig.device.query_key_table();
    (void)rig.device.query_host_key_slot();
    (void)rig.device.query_command_authorization();
    (void)rig.device.query_life_cycle();
    (void)rig.device.query_i2c_parameters();
    (void)rig.device.query_local_envelope_keys();
    const std::vector<std::string> expected = {"1411fcbe", "1412ce25", "1414ab13", "14179988",
                                               "14249a90", "140871fe", "140a52ec", "14078909"};
    ASSERT_EQ(rig.bus.writes.size(), expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(to_hex(rig.bus.writes[i]), expected[i]);
}

TEST(DeviceCommands, QueriesParseTheRealCapturedFrames) {
    Rig rig;
    rig.bus.respond = [](const CommandFrame& c) {
        switch (c.payload[0]) {
            case 0x07: return hex("00 00 09 02 00 01 00 01 01 00 FC 88");  // real capture (§1.4)
            case 0x17: return hex("00 00 06 01 00 00 13 F1 D6");           // real A110 (§4.14)
            case 0x11:  // full product-data response of §4.14, CRC as printed there
                return hex(
                    "00 00 42 01 03 AA 46 02 02 09 A0 21 E0 21 C4 E1 D0 01 39 03 02 01 FB 04 02 00 40"
                    " 05 02 18 E8 06 02 93 11 07 01 45 08 02 93 51 09 03 00 00 00 0A 03 00 00 00"
                    " 0B 03 00 00 00 0C 03 00 00 00 0D 03 00 00 00 E1 E4");
            default: return response_frame(0x10, {});
        }
    };
    auto env = rig.device.query_local_envelope_keys();
    ASSERT_TRUE(env) << to_string(env.status().code());
    EXPECT_EQ(env->count, 2);
    EXPECT_TRUE(env->slots[0].present);
    auto host = rig.device.query_host_key_slot();
    ASSERT_TRUE(host);
    EXPECT_TRUE(host->present);
    EXPECT_EQ(host->counter, 19u);
    auto pd = rig.device.query_product_data();
    ASSERT_TRUE(pd) << to_string(pd.status().code());
    EXPECT_EQ(product_from_mask(pd->mask_id), Product::a110);
    EXPECT_EQ(pd->io_buffer_size, 507);
    EXPECT_EQ(pd->atomicity_buffer_size, 64);
    EXPECT_EQ(to_hex(pd->product_number), "a021e021c4e1d00139");
    EXPECT_EQ(rig.device.stats().response_rereads, 0u);  // one read each: CRCs right, sizes known
    EXPECT_EQ(rig.bus.read_sizes, (std::vector<std::size_t>{3 + 7 + 2, 3 + 4 + 2, 3 + 64 + 2}));
}

TEST(DeviceCommands, GenerateKeyPairFramesAndPublicKey) {
    Rig rig;
    rig.bus.chip.handler = [](const SeenCommand& c) { return Reply{0, point_payload(c.payload[1] == 0x01 ? 48 : 32)}; };
    auto eph = rig.device.generate_key_pair(kSlotEphemeral, Curve::p256, 500, 0x0000);
    ASSERT_TRUE(eph);
    // §4.13 example ephemeral request: the usage limit is forced to 1.
    EXPECT_EQ(to_hex(rig.bus.writes[0]), "1113ff0001000000082a8648ce3d03010779b8");
    EXPECT_EQ(eph->curve, Curve::p256);
    EXPECT_EQ(eph->x.size(), 32u);
    EXPECT_EQ(eph->y[0], 0xBB);
    auto p384 = rig.device.generate_key_pair(kSlotUser, Curve::p384, 0xFFFF, 0x800D);
    ASSERT_TRUE(p384);
    // Real logged slot-1 P-384 payload, CRC of §2.3.
    EXPECT_EQ(to_hex(rig.bus.writes[1]), "111301ffff800d00052b810400223d5a");
    EXPECT_EQ(p384->x.size(), 48u);
    // First read sized for 0x04 + 2 + 48 + 2 + 48: the length field 0x0067 of the real log.
    EXPECT_EQ(rig.bus.read_sizes[1], 3u + 0x67);
}

TEST(DeviceCommands, GenerateKeyPairRejectsAMismatchedPoint) {
    Rig rig;
    rig.bus.chip.handler = [](const SeenCommand&) { return Reply{0, point_payload(32)}; };
    EXPECT_EQ(rig.device.generate_key_pair(kSlotUser, Curve::p384).status().code(), Errc::invalid_response);
}

TEST(DeviceCommands, SignatureDigestIsFittedToTheSlotCurve) {
    Rig rig;
    rig.bus.chip.queries[0x14] = key_table(kOidP384);
    Frame last_digest;
    rig.bus.chip.handler = [&](const SeenCommand& c) {
        const std::size_t n = c.payload[0] == 0x01 ? 48 : 32;
        last_digest.assign(c.payload.begin() + 3, c.payload.end());
        EXPECT_EQ(load_be16(&c.payload[1]), n);
        return Reply{0, signature_payload(n, n)};
    };
    const Frame sha384 = filled(48, 1), sha256 = filled(32, 1), sha1 = filled(20, 1);
    // Slot 0 is P-256: a 48-byte digest keeps its leftmost 32 bytes.
    auto s = rig.device.generate_signature(kSlotFactory, sha384);
    ASSERT_TRUE(s);
    EXPECT_EQ(last_digest, Frame(sha384.begin(), sha384.begin() + 32));
    EXPECT_EQ(s->curve, Curve::p256);
    EXPECT_EQ(s->r.size(), 32u);
    EXPECT_EQ(rig.bus.writes.back().size(), 38u);  // §4.15: 38 bytes on the wire
    // A 20-byte digest is left-padded.
    ASSERT_TRUE(rig.device.generate_signature(kSlotFactory, sha1));
    Frame padded(12, 0);
    padded.insert(padded.end(), sha1.begin(), sha1.end());
    EXPECT_EQ(last_digest, padded);
    // Slot 1 is P-384 (from the chip's table): a 32-byte digest becomes 48 bytes, R/S are 48.
    auto s384 = rig.device.generate_signature(kSlotUser, sha256);
    ASSERT_TRUE(s384);
    EXPECT_EQ(s384->r.size(), 48u);
    Frame padded48(16, 0);
    padded48.insert(padded48.end(), sha256.begin(), sha256.end());
    EXPECT_EQ(last_digest, padded48);
    EXPECT_EQ(rig.device.stats().signatures, 3u);
    EXPECT_EQ(rig.bus.count_query(0x14), 1u);  // the slot curves were cached
}

TEST(DeviceCommands, SignatureComponentsArePaddedAndBounded) {
    Rig rig;
    rig.bus.chip.queries[0x14] = key_table();
    Frame answer = signature_payload(31, 32);
    rig.bus.chip.handler = [&](const SeenCommand&) { return Reply{0, answer}; };
    const Frame digest = filled(32, 9);
    auto s = rig.device.generate_signature(0, digest);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->r[0], 0x00);
    EXPECT_EQ(s->r[1], 0x11);
    answer = signature_payload(33, 32);  // longer than the coordinate size
    EXPECT_EQ(rig.device.generate_signature(0, digest).status().code(), Errc::invalid_response);
    answer = signature_payload(32, 32);
    answer.push_back(0);  // trailing garbage
    EXPECT_EQ(rig.device.generate_signature(0, digest).status().code(), Errc::invalid_response);
    answer = signature_payload(48, 48);  // a P-384 answer for a P-256 slot
    EXPECT_EQ(rig.device.generate_signature(0, digest).status().code(), Errc::invalid_response);
    EXPECT_EQ(rig.device.stats().signatures, 1u);
}

TEST(DeviceCommands, DigestsThatCannotBeSignedNeverReachTheChip) {
    Rig rig;
    rig.bus.chip.queries[0x14] = key_table();
    std::uint8_t zero[32] = {};
    EXPECT_EQ(rig.device.generate_signature(0, zero).status().code(), Errc::invalid_argument);
    // Zero in its leftmost 32 bytes: all-zero once fitted to P-256.
    Frame long_digest(48, 0);
    long_digest[40] = 1;
    EXPECT_EQ(rig.device.generate_signature(0, long_digest).status().code(), Errc::invalid_argument);
    EXPECT_EQ(rig.device.generate_signature(0, {}).status().code(), Errc::invalid_argument);
    EXPECT_EQ(rig.bus.count_code(0x16), 0u);
}

TEST(DeviceCommands, SlotCurveComesFromTheChipAndIsRefreshedAfterKeygen) {
    Rig rig;
    rig.bus.chip.queries[0x14] = key_table();  // slot 1 empty
    rig.bus.chip.handler = [](const SeenCommand& c) {
        if (c.code == 0x11) return Reply{0, point_payload(48)};
        return Reply{0, signature_payload(48, 48)};
    };
    const Frame digest = filled(48, 3);
    EXPECT_EQ(rig.device.generate_signature(kSlotUser, digest).status().code(), Errc::does_not_exist);
    EXPECT_EQ(rig.bus.count_code(0x16), 0u);
    ASSERT_TRUE(rig.device.generate_key_pair(kSlotUser, Curve::p384));
    rig.bus.chip.queries[0x14] = key_table(kOidP384);
    auto s = rig.device.generate_signature(kSlotUser, digest);
    ASSERT_TRUE(s) << to_string(s.status().code());
    EXPECT_EQ(s->curve, Curve::p384);
    EXPECT_EQ(rig.bus.count_query(0x14), 2u);
    // A key on a curve sebind does not know.
    rig.bus.chip.queries[0x14] = key_table(hex("2B 81 04 00 23"));
    rig.device.invalidate_caches();
    EXPECT_EQ(rig.device.slot_curve(kSlotUser).status().code(), Errc::not_supported);
}

TEST(DeviceCommands, EphemeralKeyCurveIsRememberedUntilUsed) {
    Rig rig;
    rig.bus.chip.queries[0x14] = key_table();  // chip reports 0xFF empty after use
    rig.bus.chip.handler = [](const SeenCommand& c) {
        if (c.code == 0x11) return Reply{0, point_payload(48)};
        if (c.code != 0x18) return Reply{0, {}};
        Frame secret = {0x00, 0x30};
        secret.insert(secret.end(), 48, 0x5C);
        return Reply{0, secret};
    };
    auto pub = rig.device.generate_key_pair(kSlotEphemeral, Curve::p384);
    ASSERT_TRUE(pub);
    PublicKey peer = *pub;
    auto secret = rig.device.establish_key(kSlotEphemeral, peer);
    ASSERT_TRUE(secret) << to_string(secret.status().code());
    EXPECT_EQ(secret->value.size(), 48u);
    EXPECT_EQ(rig.bus.count_query(0x14), 0u);
    // Used once: the driver asks the chip again, which reports the slot empty.
    EXPECT_EQ(rig.device.establish_key(kSlotEphemeral, peer).status().code(), Errc::does_not_exist);
    EXPECT_EQ(rig.bus.count_code(0x18), 1u);
    // Reset also forgets it.
    ASSERT_TRUE(rig.device.generate_key_pair(kSlotEphemeral, Curve::p384));
    ASSERT_TRUE(rig.device.reset().ok());
    EXPECT_EQ(rig.device.slot_curve(kSlotEphemeral).status().code(), Errc::does_not_exist);
}

TEST(DeviceCommands, EstablishKeyFrameAndSecret) {
    Rig rig;
    rig.bus.chip.queries[0x14] = key_table();
    Frame answer = {0x00, 0x20};
    answer.insert(answer.end(), 32, 0x77);
    rig.bus.chip.handler = [&](const SeenCommand&) { return Reply{0, answer}; };
    PublicKey peer;
    peer.x.assign(filled(32, 1));
    peer.y.assign(filled(32, 100));
    auto secret = rig.device.establish_key(kSlotFactory, peer);
    ASSERT_TRUE(secret);
    EXPECT_EQ(secret->value[31], 0x77);
    const SeenCommand& c = rig.bus.chip.seen.back();
    ASSERT_EQ(c.payload.size(), 70u);  // §4.17: 70-byte payload for P-256
    EXPECT_EQ(to_hex(Bytes(c.payload).first(4)), "00040020");
    EXPECT_EQ(c.payload[4], 1);
    EXPECT_EQ(to_hex(Bytes(c.payload).subspan(36, 3)), "002064");
    answer.pop_back();  // 31-byte secret
    EXPECT_EQ(rig.device.establish_key(kSlotFactory, peer).status().code(), Errc::invalid_response);
    peer.curve = Curve::p384;
    peer.x.assign(filled(48, 1));
    peer.y.assign(filled(48, 1));
    EXPECT_EQ(rig.device.establish_key(kSlotFactory, peer).status().code(), Errc::invalid_argument);
}

TEST(DeviceCommands, VerifySignatureLayoutAndAnswer) {
    Rig rig;
    std::uint8_t validity = 1;
    rig.bus.chip.handler = [&](const SeenCommand&) { return Reply{0, {validity}}; };
    PublicKey key;
    key.x.assign(Frame(32, 0xA1));
    key.y.assign(Frame(32, 0xB2));
    Signature sig;
    sig.r.assign(Frame(32, 0xC3));
    sig.s.assign(Frame(32, 0xD4));
    const Frame digest = filled(48, 0x10);  // fitted to 32 like generate_signature does
    auto ok = rig.device.verify_signature(key, sig, digest);
    ASSERT_TRUE(ok);
    EXPECT_TRUE(*ok);
    Frame expected = hex("00 00 08 2A 86 48 CE 3D 03 01 07 04 00 20");
    expected.insert(expected.end(), 32, 0xA1);
    expected.insert(expected.end(), {0x00, 0x20});
    expected.insert(expected.end(), 32, 0xB2);
    expected.insert(expected.end(), {0x00, 0x20});
    expected.insert(expected.end(), 32, 0xC3);
    expected.insert(expected.end(), {0x00, 0x20});
    expected.insert(expected.end(), 32, 0xD4);
    expected.insert(expected.end(), {0x00, 0x20});
    expected.insert(expected.end(), digest.begin(), digest.begin() + 32);
    EXPECT_EQ(rig.bus.chip.seen.back().payload, expected);
    validity = 0;
    auto bad = rig.device.verify_signature(key, sig, digest);
    ASSERT_TRUE(bad);
    EXPECT_FALSE(*bad);
    sig.curve = Curve::p384;
    EXPECT_EQ(rig.device.verify_signature(key, sig, digest).status().code(), Errc::invalid_argument);
}

TEST(DeviceCommands, ReadIsChunkedWithinTheFrameLimit) {
    Rig rig;
    rig.bus.chip.handler = [](const SeenCommand& c) {
        const std::size_t off = load_be16(&c.payload[2]), len = load_be16(&c.payload[4]);
        return Reply{0, filled(len, static_cast<std::uint8_t>(off))};
    };
    Frame out(1200);
    ASSERT_TRUE(rig.device.read(4, 10, out).ok());
    ASSERT_EQ(rig.bus.chip.seen.size(), 3u);
    EXPECT_EQ(to_hex(rig.bus.chip.seen[0].payload), "0004000a01f4");  // 500 bytes at 10
    EXPECT_EQ(to_hex(rig.bus.chip.seen[1].payload), "000401fe01f4");  // 500 bytes at 510
    EXPECT_EQ(to_hex(rig.bus.chip.seen[2].payload), "000403f200c8");  // 200 bytes at 1010
    Frame expected = filled(500, 10);
    for (const Frame& part : {filled(500, 0xFE), filled(200, 0xF2)})
        expected.insert(expected.end(), part.begin(), part.end());
    EXPECT_EQ(out, expected);
    EXPECT_EQ(rig.device.read(4, 0xFFFF, Bytes(out).empty() ? MutableBytes() : MutableBytes(out.data(), 2)).code(),
              Errc::out_of_range);
    EXPECT_TRUE(rig.device.read(4, 0, MutableBytes()).ok());
}

TEST(DeviceCommands, UpdateChunksAndCarriesTheAcChangeOnTheLastChunk) {
    Rig rig;
    const Frame data = filled(1200, 0);
    ASSERT_TRUE(rig.device.update(7, 10, data, false, AcChange{1, true}).ok());
    ASSERT_EQ(rig.bus.chip.seen.size(), 3u);
    const auto& s = rig.bus.chip.seen;
    EXPECT_EQ(s[0].payload.size(), 4u + 500);
    EXPECT_EQ(to_hex(Bytes(s[0].payload).first(4)), "0007000a");
    EXPECT_EQ(to_hex(Bytes(s[1].payload).first(4)), "000701fe");
    EXPECT_EQ(to_hex(Bytes(s[2].payload).first(4)), "190703f2");  // 0x10 change | 0x08 CR | AC 1
    EXPECT_EQ(s[2].payload.size(), 4u + 200);
    EXPECT_EQ(s[1].payload[4], data[500]);
    // Only an AC change: one empty update.
    ASSERT_TRUE(rig.device.update(2, 0, {}, false, AcChange{7, false}).ok());
    EXPECT_EQ(to_hex(rig.bus.chip.seen.back().payload), "17020000");
}

TEST(DeviceCommands, AtomicUpdateFitsTheAtomicityBuffer) {
    Rig rig;
    ASSERT_TRUE(rig.device.update(3, 0, filled(64, 0), true).ok());
    EXPECT_EQ(rig.bus.chip.seen.back().payload[0], 0x80);
    EXPECT_EQ(rig.bus.chip.seen.back().payload.size(), 68u);
    EXPECT_EQ(rig.device.update(3, 0, filled(65, 0), true).code(), Errc::invalid_argument);
    EXPECT_EQ(rig.device.update(3, 0, {}).code(), Errc::invalid_argument);
    EXPECT_EQ(rig.device.update(3, 0xFFFF, filled(2, 0)).code(), Errc::out_of_range);
    EXPECT_EQ(rig.bus.writes.size(), 1u);
}

TEST(DeviceCommands, DecrementLayoutAndLimits) {
    Rig rig;
    rig.bus.chip.handler = [](const SeenCommand&) { return Reply{0, hex("00 00 01 00")}; };
    auto c = rig.device.decrement(5, 2, 0x01020304, hex("AA"));
    ASSERT_TRUE(c);
    EXPECT_EQ(*c, 0x100u);
    EXPECT_EQ(to_hex(rig.bus.chip.seen.back().payload), "0005000201020304aa");
    EXPECT_EQ(rig.device.decrement(5, 0, 1, Frame(497, 0)).status().code(), Errc::invalid_argument);
    ASSERT_TRUE(rig.device.decrement(5, 0, 1, Frame(496, 0)));
    ASSERT_TRUE(rig.device.decrement(6, 0, 1, {}, AcChange{7, false}));
    EXPECT_EQ(rig.bus.chip.seen.back().payload[0], 0x17);
}

TEST(DeviceCommands, CounterZoneReadAndAcChangeRead) {
    Rig rig;
    Frame answer = hex("00 00 00 2A 01 02");
    rig.bus.chip.handler = [&](const SeenCommand&) { return Reply{0, answer}; };
    std::uint8_t data[2];
    auto counter = rig.device.read_counter_zone(5, 0, data);
    ASSERT_TRUE(counter);
    EXPECT_EQ(*counter, 42u);
    EXPECT_EQ(to_hex(Bytes(data, 2)), "0102");
    answer = hex("01 02");  // a data zone has no counter
    EXPECT_EQ(rig.device.read_counter_zone(1, 0, data).status().code(), Errc::invalid_argument);
    answer = {};
    ASSERT_TRUE(rig.device.change_read_ac(2, AcChange{1, false}).ok());
    EXPECT_EQ(to_hex(rig.bus.chip.seen.back().payload), "110200000000");
}

TEST(DeviceCommands, EchoSizeLimits) {
    Rig rig;
    Frame out(600);
    ASSERT_TRUE(rig.device.echo(Frame(504, 0x5A), out));
    EXPECT_EQ(rig.bus.writes.back().size(), 507u);  // the whole I/O buffer
    EXPECT_EQ(rig.device.echo(Frame(505, 0x5A), out).status().code(), Errc::invalid_argument);
    EXPECT_EQ(rig.device.echo({}, out).status().code(), Errc::invalid_argument);
    EXPECT_EQ(rig.device.echo(Frame(8, 1), MutableBytes(out.data(), 7)).status().code(), Errc::buffer_too_small);
}

TEST(DeviceCommands, WrapUnwrapArgumentsAndSizes) {
    Rig rig;
    rig.bus.chip.handler = [](const SeenCommand& c) {
        if (c.code == 0x0E) return Reply{0, Frame(c.payload.size() - 1 + 8, 0xE0)};
        return Reply{0, Frame(c.payload.size() - 1 - 8, 0x0D)};
    };
    Frame env(600), plain(600);
    auto n = rig.device.wrap(1, filled(16, 0), env);
    ASSERT_TRUE(n);
    EXPECT_EQ(*n, 24u);
    EXPECT_EQ(rig.bus.chip.seen.back().payload[0], 1);
    auto m = rig.device.unwrap(1, Bytes(env.data(), 24), plain);
    ASSERT_TRUE(m);
    EXPECT_EQ(*m, 16u);
    EXPECT_EQ(rig.device.wrap(1, filled(12, 0), env).status().code(), Errc::invalid_argument);
    EXPECT_EQ(rig.device.wrap(1, filled(488, 0), env).status().code(), Errc::invalid_argument);
    EXPECT_EQ(rig.device.wrap(1, filled(16, 0), MutableBytes(env.data(), 23)).status().code(), Errc::buffer_too_small);
    EXPECT_EQ(rig.device.unwrap(1, Bytes(env.data(), 8), plain).status().code(), Errc::invalid_argument);
    EXPECT_EQ(rig.device.unwrap(1, Bytes(env.data(), 496), plain).status().code(), Errc::invalid_argument);
    EXPECT_TRUE(rig.device.wrap(1, filled(480, 0), env));
}

TEST(DeviceCommands, Attributes) {
    Rig rig;
    I2cParameters i2c;
    i2c.address = 0x21;
    i2c.locked = true;
    i2c.low_power_mode = 2;
    ASSERT_TRUE(rig.device.put_i2c_parameters(i2c).ok());
    EXPECT_EQ(to_hex(rig.bus.chip.seen.back().payload), "0a4205");  // the real A110's record
    i2c.low_power_mode = 1;
    EXPECT_EQ(rig.device.put_i2c_parameters(i2c).code(), Errc::invalid_argument);
    ASSERT_TRUE(rig.device.put_life_cycle(LifeCycle::operational_locked).ok());
    EXPECT_EQ(to_hex(rig.bus.chip.seen.back().payload), "0883");
    rig.bus.chip.handler = [](const SeenCommand&) { return Reply{0, hex("01 03")}; };
    auto pw = rig.device.verify_password(Frame(16, 0x31));
    ASSERT_TRUE(pw);
    EXPECT_TRUE(pw->verified);
    EXPECT_EQ(pw->remaining_tries, 3);
    EXPECT_EQ(rig.bus.writes.back().size(), 1u + 16 + 2);
    EXPECT_EQ(rig.device.verify_password(Frame(15, 0)).status().code(), Errc::invalid_argument);
}

TEST(DeviceCommands, PutHostKeysIsPlainOnceAndThenInUse) {
    Rig rig;
    const HostKeys keys = example_host_keys();
    ASSERT_TRUE(rig.device.put_host_keys(keys).ok());
    const Frame& f = rig.bus.writes.back();
    EXPECT_EQ(to_hex(Bytes(f).first(2)), "1017");
    EXPECT_EQ(to_hex(Bytes(f).subspan(2, 32)), "00112233445566778899aabbccddeeff11112222333344445555666677778888");
    EXPECT_TRUE(rig.device.has_host_keys());
    // Second provisioning: the chip says 0x11, the driver says already_exists and keeps the code.
    Rig again;
    again.bus.chip.handler = [](const SeenCommand&) { return Reply{0x11, {}}; };
    Status st = again.device.put_host_keys(keys);
    EXPECT_EQ(st.code(), Errc::already_exists);
    EXPECT_EQ(st.device_status(), 0x11);
    EXPECT_FALSE(again.device.has_host_keys());
    // Other chip answers keep their usual category.
    again.bus.chip.handler = [](const SeenCommand&) { return Reply{0x02, {}}; };
    EXPECT_EQ(again.device.put_host_keys(keys).code(), Errc::invalid_argument);
}
