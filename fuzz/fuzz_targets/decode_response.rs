//! Any bytes, read as (api key, version, response frame), must decode or fail cleanly; what
//! decodes must re-encode and decode again to the same value.
#![no_main]

use bytes::{Bytes, BytesMut};
use kafkito_protocol::header::ResponseHeader;
use kafkito_protocol::messages::{ApiKey, ResponseBody};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Input: api key (i16), version (i16), then the response frame without its size prefix.
    let Some((prefix, frame)) = data.split_first_chunk::<4>() else {
        return;
    };
    let Some(api_key) = ApiKey::from_key(i16::from_be_bytes([prefix[0], prefix[1]])) else {
        return;
    };
    let version = i16::from_be_bytes([prefix[2], prefix[3]]);
    let mut buf = Bytes::copy_from_slice(frame);
    if ResponseHeader::decode(&mut buf, api_key.response_header_version(version)).is_err() {
        return;
    }
    if let Ok(body) = ResponseBody::decode(api_key, &mut buf, version) {
        let mut out = BytesMut::new();
        body.encode(&mut out, version)
            .expect("a decoded body re-encodes");
        let again = ResponseBody::decode(api_key, &mut out.freeze(), version).expect("re-decodes");
        assert_eq!(again, body);
    }
});
