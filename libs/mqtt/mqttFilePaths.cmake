# SPDX-License-Identifier: Apache-2.0
# Source lists of sebind::mqtt for builds that do not use CMake targets (MCU projects).
set(SEBIND_MQTT_DIR ${CMAKE_CURRENT_LIST_DIR})
set(SEBIND_MQTT_INCLUDE_DIR ${CMAKE_CURRENT_LIST_DIR}/../../include)
set(SEBIND_MQTT_CODEC_SOURCES
  ${SEBIND_MQTT_DIR}/codec/types.cpp
  ${SEBIND_MQTT_DIR}/codec/topic.cpp
  ${SEBIND_MQTT_DIR}/codec/wire.cpp
  ${SEBIND_MQTT_DIR}/codec/properties.cpp
  ${SEBIND_MQTT_DIR}/codec/encoder.cpp
  ${SEBIND_MQTT_DIR}/codec/decoder.cpp
  ${SEBIND_MQTT_DIR}/codec/decode_packets.cpp)
set(SEBIND_MQTT_SESSION_SOURCES
  ${SEBIND_MQTT_DIR}/session/session.cpp
  ${SEBIND_MQTT_DIR}/session/session_inbound.cpp
  ${SEBIND_MQTT_DIR}/session/backoff.cpp)
set(SEBIND_MQTT_OUTBOX_SOURCES
  ${SEBIND_MQTT_DIR}/outbox/crc32.cpp
  ${SEBIND_MQTT_DIR}/outbox/outbox.cpp
  ${SEBIND_MQTT_DIR}/outbox/outbox_recovery.cpp
  ${SEBIND_MQTT_DIR}/outbox/memory_store.cpp)
# POSIX file backend of the outbox (firmware plugs its own OutboxStorage instead); it writes
# through the host file utilities (libs/host/files.cpp, the sebind::host target).
set(SEBIND_MQTT_POSIX_SOURCES
  ${SEBIND_MQTT_DIR}/outbox/posix_storage.cpp)
