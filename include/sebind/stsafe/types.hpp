// SPDX-License-Identifier: Apache-2.0
// Typed results of STSAFE-A commands. Sizes come from the chip (curve of the slot), never from
// the caller.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "sebind/core/bytes.hpp"
#include "sebind/stsafe/protocol.hpp"

namespace sebind::stsafe {

/// An uncompressed EC point; x and y each hold curve_info(curve).coordinate_size bytes.
struct PublicKey {
    Curve curve = Curve::p256;
    ByteBuffer<kMaxCoordinateSize> x;
    ByteBuffer<kMaxCoordinateSize> y;
};

/// An ECDSA signature as the chip returns it: R and S as unsigned big-endian integers, each
/// left-padded to the coordinate size of the slot's curve.
struct Signature {
    Curve curve = Curve::p256;
    ByteBuffer<kMaxCoordinateSize> r;
    ByteBuffer<kMaxCoordinateSize> s;
};

/// ECDH shared secret: the x-coordinate of the shared point. Wiped on destruction.
struct SharedSecret {
    ByteBuffer<kMaxCoordinateSize> value;
    ~SharedSecret() { secure_zero(value.data(), value.capacity()); }
};

/// Query tag 0x11 (§4.14). Unknown TLVs are ignored; `raw` keeps the whole response.
struct ProductData {
    std::array<std::uint8_t, 3> mask_id{};
    std::array<std::uint8_t, 9> product_number{};  ///< ST product number, the chip's serial
    std::uint16_t io_buffer_size = 0;
    std::uint16_t atomicity_buffer_size = 0;
    std::uint16_t nvm_size = 0;
    std::uint16_t test_date = 0;
    std::uint8_t internal_product_version = 0;
    std::uint16_t module_date = 0;
    ByteBuffer<128> raw;
};

/// Which product the mask ID says this is (STSELib rule, §4.14).
enum class Product : std::uint8_t { unknown, a100, a110, a120 };
Product product_from_mask(const std::array<std::uint8_t, 3>& mask_id) noexcept;
const char* to_string(Product p) noexcept;

/// One record of Query tag 0x12 (§4.14).
struct ZoneInfo {
    std::uint8_t index = 0;
    ZoneType type = ZoneType::data;
    std::uint8_t read_ac = 0;    ///< 3-bit AC value (ZoneAccess)
    std::uint8_t update_ac = 0;  ///< 3-bit AC value
    bool read_change_right = false;
    bool update_change_right = false;
    std::uint16_t size = 0;     ///< data segment length
    std::uint32_t counter = 0;  ///< one-way counter (counter zones only)
};

inline constexpr std::size_t kMaxZones = 16;
struct PartitionInfo {
    std::uint8_t zone_count = 0;
    std::array<ZoneInfo, kMaxZones> zones{};
    /// The record for zone `index`, or nullptr.
    const ZoneInfo* find(std::uint8_t index) const noexcept;
};

/// One record of Query tag 0x14 (§4.14).
struct KeySlotInfo {
    std::uint8_t slot = 0;
    bool present = false;
    std::uint16_t mode = 0;
    std::optional<Curve> curve;  ///< set when present and the OID is known
};

inline constexpr std::size_t kMaxKeySlots = 6;
struct KeyTable {
    std::uint8_t slot_count = 0;
    std::uint8_t filler = 0;
    std::uint16_t global_usage_limit = 0;  ///< header field; semantics on A110 unconfirmed
    std::array<KeySlotInfo, kMaxKeySlots> slots{};
    const KeySlotInfo* find(std::uint8_t slot) const noexcept;
};

/// Query tag 0x17.
struct HostKeySlotInfo {
    bool present = false;
    std::uint32_t counter = 0;  ///< the value the next C-MAC must use
};

/// Query / Put tag 0x0A.
struct I2cParameters {
    std::uint8_t address = kDefaultI2cAddress;  ///< 7-bit
    bool locked = false;
    std::uint8_t low_power_mode = 0;  ///< 0 none, 2 standby
};

/// Query tag 0x24.
struct CommandAuthorization {
    std::uint8_t code = 0;
    CommandAccess access = CommandAccess::free;
    std::uint8_t encryption_flags = 0;  ///< encryption::kCommand | encryption::kResponse
};
inline constexpr std::size_t kMaxCommandAuthorizations = 32;
struct CommandAuthorizationTable {
    std::uint8_t change_rights = 0;
    std::uint8_t count = 0;
    std::array<CommandAuthorization, kMaxCommandAuthorizations> records{};
    /// The record for a command, or nullptr (unlisted commands are free, §4.14).
    const CommandAuthorization* find(Command c) const noexcept;
};

/// Query tag 0x07.
struct EnvelopeKeySlot {
    std::uint8_t slot = 0;
    bool present = false;
    EnvelopeKeyType type = EnvelopeKeyType::aes128;
};
struct EnvelopeKeyTable {
    std::uint8_t count = 0;
    std::array<EnvelopeKeySlot, 4> slots{};
};

/// Verify Password response.
struct PasswordResult {
    bool verified = false;
    std::uint8_t remaining_tries = 0;
};

/// Option byte fields for an access-condition change piggy-backed on Read/Update/Decrement
/// (§4.6-4.8). Empty = no change.
struct AcChange {
    std::uint8_t new_ac = 0;
    bool new_change_right = false;
};

}  // namespace sebind::stsafe
