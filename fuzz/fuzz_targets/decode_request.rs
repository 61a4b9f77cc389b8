//! Any bytes, read as a request frame, must decode or fail cleanly; what decodes must
//! re-encode and decode again to the same value. This is the broker's side of the codec, used
//! by test peers and tools.
#![no_main]

use bytes::{Bytes, BytesMut};
use kafkito_protocol::header::RequestHeader;
use kafkito_protocol::messages::{ApiKey, RequestBody};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(prefix) = data.get(..4) else {
        return;
    };
    let Some(api_key) = ApiKey::from_key(i16::from_be_bytes([prefix[0], prefix[1]])) else {
        return;
    };
    let version = i16::from_be_bytes([prefix[2], prefix[3]]);
    let mut buf = Bytes::copy_from_slice(data);
    if RequestHeader::decode(&mut buf, api_key.request_header_version(version)).is_err() {
        return;
    }
    if let Ok(body) = RequestBody::decode(api_key, &mut buf, version) {
        let mut out = BytesMut::new();
        body.encode(&mut out, version)
            .expect("a decoded body re-encodes");
        let again = RequestBody::decode(api_key, &mut out.freeze(), version).expect("re-decodes");
        assert_eq!(again, body);
    }
});
