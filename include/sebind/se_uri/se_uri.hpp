// SPDX-License-Identifier: Apache-2.0
// One string names a secure element everywhere (CLI --se, SEBIND_SE, examples); the URI forms
// are in sebind/port_linux/se_connection.hpp. This header (sebind::se_uri) opens all of them,
// the emulator's too; a product that opens only i2c: uses open_i2c_se (sebind::port_linux)
// and links no emulator.
//
//   auto uri = port_linux::parse_se_uri("emud:/tmp/se.sock#chip1");
//   std::string why;
//   auto se = uri ? port_linux::open_se(*uri, {}, &why) : uri.status();
//   if (!se) { fprintf(stderr, "%s\n", why.c_str()); ... }
//   auto pd = (*se)->device().query_product_data();
#pragma once

#include <memory>
#include <string>

#include "sebind/core/result.hpp"
#include "sebind/emu/emulator.hpp"
#include "sebind/port_linux/se_connection.hpp"

namespace sebind::port_linux {

struct ConnectOptions {
    emu::OpenOptions emulator;  ///< for emu: URIs
};

/// Opens the secure element named by `uri`: emu -> emu::Chip::open + emu::EmulatedBus +
/// SystemClock, driver with emu::kDriverConfig; emud -> DaemonBus, emu::kDriverConfig; i2c ->
/// open_i2c_se. Nothing is sent to the chip yet.
/// Errors: emu as emu::Chip::open (does_not_exist, corrupted_data, storage_failure); emud as
/// DaemonBus::connect (communication_failure, does_not_exist, not_supported); i2c
/// does_not_exist, not_permitted, communication_failure. `detail`, when given, receives a
/// one-line explanation with the fix (e.g. "cannot connect to sebind-emud at PATH: ...").
Result<std::unique_ptr<SeConnection>> open_se(const SeUri& uri, const ConnectOptions& options = {},
                                              std::string* detail = nullptr);

}  // namespace sebind::port_linux
