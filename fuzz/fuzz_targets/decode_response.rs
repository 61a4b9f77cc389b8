//! Any bytes, read as (api key, version, response frame), must decode or fail cleanly; what
//! decodes must re-encode and decode again to the same value.
#![no_main]

use bytes::{Bytes, BytesMut};
use kafka_protocol::header::ResponseHeader;
use kafka_protocol::messages::{ApiKey, ResponseBody};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((selector, frame)) = data.split_first_chunk::<3>() else {
        return;
    };
    let api_key = ApiKey::ALL[selector[0] as usize % ApiKey::ALL.len()];
    let span = (api_key.max_version() - api_key.min_version() + 1) as u16;
    let version = api_key.min_version() + (u16::from_be_bytes([selector[1], selector[2]]) % span) as i16;
    let mut buf = Bytes::copy_from_slice(frame);
    if ResponseHeader::decode(&mut buf, api_key.response_header_version(version)).is_err() {
        return;
    }
    if let Ok(body) = ResponseBody::decode(api_key, &mut buf, version) {
        let mut out = BytesMut::new();
        body.encode(&mut out, version).expect("a decoded body re-encodes");
        let again = ResponseBody::decode(api_key, &mut out.freeze(), version).expect("re-decodes");
        assert_eq!(again, body);
    }
});
