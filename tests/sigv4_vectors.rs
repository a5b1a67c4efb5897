//! AWS Signature Version 4 against AWS's published vectors.
//!
//! - The generic "Signature Version 4 test suite" (AKIDEXAMPLE, service
//!   `service`, 2015-08-30T12:36:00Z, host example.amazonaws.com): canonical
//!   requests, string-to-sign hashes and signatures as published.
//! - The S3 API reference's worked examples (AKIAIOSFODNN7EXAMPLE, bucket
//!   examplebucket, 2013-05-24T00:00:00Z): "GET Object" with Range, "PUT
//!   Object", "GET Bucket Lifecycle", "Get Bucket (List Objects)" and the
//!   presigned-URL example.
//!
//! The expected values are copied from those publications, not computed.

#![cfg(not(target_arch = "wasm32"))]

use chrono::{DateTime, TimeZone, Utc};
use strongbox::storage::sigv4::{
    self, Credentials, SignableRequest, EMPTY_SHA256, UNSIGNED_PAYLOAD,
};

const SUITE_SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const SUITE_HOST: &str = "example.amazonaws.com";
const SUITE_DATE: &str = "20150830T123600Z";

fn suite_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2015, 8, 30, 12, 36, 0).unwrap()
}

/// One vector of the generic suite.
struct Vector<'a> {
    name: &'a str,
    method: &'a str,
    path: &'a str,
    query: &'a [(&'a str, &'a str)],
    /// Headers besides Host and X-Amz-Date.
    headers: &'a [(&'a str, &'a str)],
    body: &'a str,
    /// Published canonical request, when the check should include it.
    creq: Option<&'a str>,
    /// Published hash (last line) of the string to sign.
    sts_hash: Option<&'a str>,
    signed_headers: &'a str,
    signature: &'a str,
}

fn check(v: &Vector<'_>) {
    let mut headers = vec![("Host", SUITE_HOST)];
    headers.extend_from_slice(v.headers);
    headers.push(("X-Amz-Date", SUITE_DATE));
    let payload = sigv4::sha256_hex(v.body.as_bytes());
    let req = SignableRequest {
        method: v.method,
        path: v.path,
        query: v.query,
        headers: &headers,
        payload_hash: &payload,
    };
    let sig = sigv4::sign(&req, SUITE_SECRET, "us-east-1", "service", suite_time());
    if let Some(creq) = v.creq {
        assert_eq!(sig.canonical_request, creq, "{}: canonical request", v.name);
    }
    let sts_head = "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n";
    assert!(
        sig.string_to_sign.starts_with(sts_head),
        "{}: {}",
        v.name,
        sig.string_to_sign
    );
    if let Some(hash) = v.sts_hash {
        assert_eq!(
            sig.string_to_sign,
            format!("{sts_head}{hash}"),
            "{}: sts",
            v.name
        );
    }
    assert_eq!(sig.signed_headers, v.signed_headers, "{}", v.name);
    assert_eq!(sig.signature, v.signature, "{}: signature", v.name);
    assert_eq!(
        sig.authorization("AKIDEXAMPLE"),
        format!(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders={}, Signature={}",
            v.signed_headers, v.signature
        ),
        "{}: authorization",
        v.name
    );
}

const HD: &str = "host;x-amz-date";

#[test]
fn get_vanilla() {
    check(&Vector {
        name: "get-vanilla",
        method: "GET",
        path: "/",
        query: &[],
        headers: &[],
        body: "",
        creq: Some("GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        sts_hash: Some("bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63"),
        signed_headers: HD,
        signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
    });
}

#[test]
fn get_vanilla_query_order_key_case() {
    check(&Vector {
        name: "get-vanilla-query-order-key-case",
        method: "GET",
        path: "/",
        query: &[("Param2", "value2"), ("Param1", "value1")],
        headers: &[],
        body: "",
        creq: Some("GET\n/\nParam1=value1&Param2=value2\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        sts_hash: Some("816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0"),
        signed_headers: HD,
        signature: "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
    });
}

#[test]
fn get_vanilla_query_order_key_and_value() {
    check(&Vector {
        name: "get-vanilla-query-order-key",
        method: "GET",
        path: "/",
        query: &[("Param1", "value2"), ("Param1", "Value1")],
        headers: &[],
        body: "",
        creq: Some("GET\n/\nParam1=Value1&Param1=value2\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        sts_hash: Some("704b4cef673542d84cdff252633f065e8daeba5f168b77116f8b1bcaf3d38f89"),
        signed_headers: HD,
        signature: "eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1",
    });
    check(&Vector {
        name: "get-vanilla-query-order-value",
        method: "GET",
        path: "/",
        query: &[("Param1", "value2"), ("Param1", "value1")],
        headers: &[],
        body: "",
        creq: Some("GET\n/\nParam1=value1&Param1=value2\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        sts_hash: Some("c968629d70850097a2d8781c9bf7edcb988b04cac14cca9be4acc3595f884606"),
        signed_headers: HD,
        signature: "5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694",
    });
}

#[test]
fn get_vanilla_empty_query_key() {
    check(&Vector {
        name: "get-vanilla-empty-query-key",
        method: "GET",
        path: "/",
        query: &[("Param1", "value1")],
        headers: &[],
        body: "",
        creq: Some("GET\n/\nParam1=value1\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        sts_hash: Some("1e24db194ed7d0eec2de28d7369675a243488e08526e8c1c73571282f7c517ab"),
        signed_headers: HD,
        signature: "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb",
    });
}

#[test]
fn get_unreserved_characters() {
    let unreserved = "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    check(&Vector {
        name: "get-vanilla-query-unreserved",
        method: "GET",
        path: "/",
        query: &[(unreserved, unreserved)],
        headers: &[],
        body: "",
        creq: Some(&format!("GET\n/\n{unreserved}={unreserved}\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")),
        sts_hash: Some("c30d4703d9f799439be92736156d47ccfb2d879ddf56f5befa6d1d6aab979177"),
        signed_headers: HD,
        signature: "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197",
    });
    check(&Vector {
        name: "get-unreserved",
        method: "GET",
        path: &format!("/{unreserved}"),
        query: &[],
        headers: &[],
        body: "",
        creq: Some(&format!("GET\n/{unreserved}\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")),
        sts_hash: Some("6a968768eefaa713e2a6b16b589a8ea192661f098f37349f4e2c0082757446f9"),
        signed_headers: HD,
        signature: "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f",
    });
}

#[test]
fn get_utf8() {
    check(&Vector {
        name: "get-utf8",
        method: "GET",
        path: "/ሴ",
        query: &[],
        headers: &[],
        body: "",
        creq: None,
        sts_hash: None,
        signed_headers: HD,
        signature: "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85",
    });
    check(&Vector {
        name: "get-vanilla-utf8-query",
        method: "GET",
        path: "/",
        query: &[("ሴ", "bar")],
        headers: &[],
        body: "",
        creq: Some("GET\n/\n%E1%88%B4=bar\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        sts_hash: Some("eb30c5bed55734080471a834cc727ae56beb50e5f39d1bff6d0d38cb192a7073"),
        signed_headers: HD,
        signature: "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04",
    });
}

#[test]
fn get_header_handling() {
    check(&Vector {
        name: "get-header-key-duplicate",
        method: "GET",
        path: "/",
        query: &[],
        headers: &[("My-Header1", "value2"), ("My-Header1", "value2"), ("My-Header1", "value1")],
        body: "",
        creq: Some("GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value2,value2,value1\nx-amz-date:20150830T123600Z\n\nhost;my-header1;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        sts_hash: Some("dc7f04a3abfde8d472b0ab1a418b741b7c67174dad1551b4117b15527fbe966c"),
        signed_headers: "host;my-header1;x-amz-date",
        signature: "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea",
    });
    check(&Vector {
        name: "get-header-value-order",
        method: "GET",
        path: "/",
        query: &[],
        headers: &[
            ("My-Header1", "value4"),
            ("My-Header1", "value1"),
            ("My-Header1", "value3"),
            ("My-Header1", "value2"),
        ],
        body: "",
        creq: Some("GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value4,value1,value3,value2\nx-amz-date:20150830T123600Z\n\nhost;my-header1;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        sts_hash: Some("31ce73cd3f3d9f66977ad3dd957dc47af14df92fcd8509f59b349e9137c58b86"),
        signed_headers: "host;my-header1;x-amz-date",
        signature: "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01",
    });
    check(&Vector {
        name: "get-header-value-trim",
        method: "GET",
        path: "/",
        query: &[],
        headers: &[("My-Header1", " value1"), ("My-Header2", " \"a   b   c\"")],
        body: "",
        creq: Some("GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\nmy-header2:\"a b c\"\nx-amz-date:20150830T123600Z\n\nhost;my-header1;my-header2;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        sts_hash: Some("a726db9b0df21c14f559d0a978e563112acb1b9e05476f0a6a1c7d68f28605c7"),
        signed_headers: "host;my-header1;my-header2;x-amz-date",
        signature: "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736",
    });
}

#[test]
fn post_vanilla_and_headers() {
    check(&Vector {
        name: "post-vanilla",
        method: "POST",
        path: "/",
        query: &[],
        headers: &[],
        body: "",
        creq: Some("POST\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        sts_hash: Some("553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87"),
        signed_headers: HD,
        signature: "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
    });
    check(&Vector {
        name: "post-vanilla-query",
        method: "POST",
        path: "/",
        query: &[("Param1", "value1")],
        headers: &[],
        body: "",
        creq: Some("POST\n/\nParam1=value1\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        sts_hash: Some("9d659678c1756bb3113e2ce898845a0a79dbbc57b740555917687f1b3340fbbd"),
        signed_headers: HD,
        signature: "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11",
    });
    check(&Vector {
        name: "post-header-key-sort",
        method: "POST",
        path: "/",
        query: &[],
        headers: &[("My-Header1", "value1")],
        body: "",
        creq: None,
        sts_hash: Some("9368318c2967cf6de74404b30c65a91e8f6253e0a8659d6d5319f1a812f87d65"),
        signed_headers: "host;my-header1;x-amz-date",
        signature: "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c",
    });
    check(&Vector {
        name: "post-header-value-case",
        method: "POST",
        path: "/",
        query: &[],
        headers: &[("My-Header1", "VALUE1")],
        body: "",
        creq: Some("POST\n/\n\nhost:example.amazonaws.com\nmy-header1:VALUE1\nx-amz-date:20150830T123600Z\n\nhost;my-header1;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        sts_hash: Some("d51ced243e649e3de6ef63afbbdcbca03131a21a7103a1583706a64618606a93"),
        signed_headers: "host;my-header1;x-amz-date",
        signature: "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d",
    });
}

#[test]
fn post_x_www_form_urlencoded() {
    check(&Vector {
        name: "post-x-www-form-urlencoded",
        method: "POST",
        path: "/",
        query: &[],
        headers: &[("Content-Type", "application/x-www-form-urlencoded")],
        body: "Param1=value1",
        creq: Some("POST\n/\n\ncontent-type:application/x-www-form-urlencoded\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\ncontent-type;host;x-amz-date\n9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e"),
        sts_hash: None,
        signed_headers: "content-type;host;x-amz-date",
        signature: "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a",
    });
    check(&Vector {
        // As in AWS's original 2015 files (charset=utf8, Content-Length
        // not signed); some later copies of the suite edited this request
        // but kept the old signature.
        name: "post-x-www-form-urlencoded-parameters",
        method: "POST",
        path: "/",
        query: &[],
        headers: &[("Content-Type", "application/x-www-form-urlencoded; charset=utf8")],
        body: "Param1=value1",
        creq: Some("POST\n/\n\ncontent-type:application/x-www-form-urlencoded; charset=utf8\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\ncontent-type;host;x-amz-date\n9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e"),
        sts_hash: Some("2e1cf7ed91881a30569e46552437e4156c823447bf1781b921b5d486c568dd1c"),
        signed_headers: "content-type;host;x-amz-date",
        signature: "1a72ec8f64bd914b0e42e42607c7fbce7fb2c7465f63e3092b3b0d39fa77a6fe",
    });
}

#[test]
fn post_sts_header_before() {
    let token = "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";
    check(&Vector {
        name: "post-sts-header-before",
        method: "POST",
        path: "/",
        query: &[],
        headers: &[("X-Amz-Security-Token", token)],
        body: "",
        creq: None,
        sts_hash: None,
        signed_headers: "host;x-amz-date;x-amz-security-token",
        signature: "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead",
    });
}

// ---- The S3 API reference's examples ----

const S3_HOST: &str = "examplebucket.s3.amazonaws.com";

fn s3_creds() -> Credentials {
    Credentials {
        access_key: "AKIAIOSFODNN7EXAMPLE".into(),
        secret_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
        session_token: None,
    }
}

fn s3_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2013, 5, 24, 0, 0, 0).unwrap()
}

/// `(signed headers, signature)` of the Authorization header among `headers`.
fn authz_parts(headers: &[(String, String)]) -> (String, String) {
    let authz = &headers
        .iter()
        .find(|(k, _)| k == "authorization")
        .expect("authorization header")
        .1;
    assert!(
        authz.starts_with(
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
        ),
        "{authz}"
    );
    let field = |name: &str| {
        authz
            .split(", ")
            .find_map(|p| p.strip_prefix(name))
            .expect(name)
            .to_string()
    };
    (field("SignedHeaders="), field("Signature="))
}

#[test]
fn s3_get_object_with_range() {
    // Canonical request and string to sign, step by step.
    let headers = [
        ("Host", S3_HOST),
        ("Range", "bytes=0-9"),
        ("x-amz-content-sha256", EMPTY_SHA256),
        ("x-amz-date", "20130524T000000Z"),
    ];
    let req = SignableRequest {
        method: "GET",
        path: "/test.txt",
        query: &[],
        headers: &headers,
        payload_hash: EMPTY_SHA256,
    };
    let sig = sigv4::sign(&req, &s3_creds().secret_key, "us-east-1", "s3", s3_time());
    assert_eq!(
        sig.canonical_request,
        "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\nx-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\nx-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert_eq!(
        sig.string_to_sign,
        "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972"
    );
    assert_eq!(
        sig.signature,
        "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
    );

    // The same through the S3 header signer the backend uses.
    let out = sigv4::sign_s3_headers(
        "GET",
        S3_HOST,
        "/test.txt",
        &[],
        &[("range", "bytes=0-9")],
        EMPTY_SHA256,
        &s3_creds(),
        "us-east-1",
        s3_time(),
    );
    assert!(out.contains(&("x-amz-date".into(), "20130524T000000Z".into())));
    assert!(out.contains(&("x-amz-content-sha256".into(), EMPTY_SHA256.into())));
    assert_eq!(
        authz_parts(&out),
        (
            "host;range;x-amz-content-sha256;x-amz-date".into(),
            "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41".into()
        )
    );
}

#[test]
fn s3_put_object() {
    let body = b"Welcome to Amazon S3.";
    let hash = sigv4::sha256_hex(body);
    assert_eq!(
        hash,
        "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"
    );
    let out = sigv4::sign_s3_headers(
        "PUT",
        S3_HOST,
        "/test$file.text",
        &[],
        &[
            ("Date", "Fri, 24 May 2013 00:00:00 GMT"),
            ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
        ],
        &hash,
        &s3_creds(),
        "us-east-1",
        s3_time(),
    );
    assert_eq!(
        authz_parts(&out),
        (
            "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class".into(),
            "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd".into()
        )
    );
    // S3 encodes the path once: `$` becomes %24, never %2524.
    assert_eq!(sigv4::canonical_uri("/test$file.text"), "/test%24file.text");
}

#[test]
fn s3_get_bucket_lifecycle() {
    let out = sigv4::sign_s3_headers(
        "GET",
        S3_HOST,
        "/",
        &[("lifecycle", "")],
        &[],
        EMPTY_SHA256,
        &s3_creds(),
        "us-east-1",
        s3_time(),
    );
    assert_eq!(
        authz_parts(&out),
        (
            "host;x-amz-content-sha256;x-amz-date".into(),
            "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543".into()
        )
    );
}

#[test]
fn s3_list_objects() {
    let out = sigv4::sign_s3_headers(
        "GET",
        S3_HOST,
        "/",
        &[("prefix", "J"), ("max-keys", "2")],
        &[],
        EMPTY_SHA256,
        &s3_creds(),
        "us-east-1",
        s3_time(),
    );
    assert_eq!(
        authz_parts(&out),
        (
            "host;x-amz-content-sha256;x-amz-date".into(),
            "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7".into()
        )
    );
}

#[test]
fn s3_presigned_url() {
    let p = sigv4::presign(
        "GET",
        "https://examplebucket.s3.amazonaws.com",
        S3_HOST,
        "/test.txt",
        &[],
        &s3_creds(),
        "us-east-1",
        86400,
        s3_time(),
    );
    assert_eq!(
        p.signature.canonical_request,
        "GET\n/test.txt\nX-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host\nhost:examplebucket.s3.amazonaws.com\n\nhost\nUNSIGNED-PAYLOAD"
    );
    assert!(p.signature.canonical_request.ends_with(UNSIGNED_PAYLOAD));
    assert_eq!(
        p.signature.string_to_sign,
        "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n3bfa292879f6447bbcda7001decf97f4a54dc650c8942174ae0a9121cf58ad04"
    );
    assert_eq!(
        p.signature.signature,
        "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
    );
    assert_eq!(
        p.url,
        "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
    );
}

#[test]
fn s3_presigned_url_through_the_backend() {
    use strongbox::storage::s3::{S3Config, S3Storage};
    use strongbox::storage::FileKind;
    let cfg = S3Config::from_repo_url(
        "s3:https://s3.amazonaws.com/examplebucket",
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    )
    .unwrap();
    assert!(!cfg.path_style);
    let s3 = S3Storage::new(cfg).unwrap();
    // `config` is the one object whose key has no folder: /config.
    let url = s3.presign_url(
        reqwest::Method::GET,
        FileKind::Config,
        "config",
        86400,
        s3_time(),
    );
    assert!(url.starts_with("https://examplebucket.s3.amazonaws.com/config?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature="), "{url}");
}

#[test]
fn session_token_is_signed_in_headers_and_query() {
    let creds = Credentials {
        session_token: Some("tok/en+=".into()),
        ..s3_creds()
    };
    let out = sigv4::sign_s3_headers(
        "GET",
        S3_HOST,
        "/k",
        &[],
        &[],
        EMPTY_SHA256,
        &creds,
        "us-east-1",
        s3_time(),
    );
    assert!(out.contains(&("x-amz-security-token".into(), "tok/en+=".into())));
    assert_eq!(
        authz_parts(&out).0,
        "host;x-amz-content-sha256;x-amz-date;x-amz-security-token"
    );
    let p = sigv4::presign(
        "PUT",
        "https://h",
        "h",
        "/k",
        &[],
        &creds,
        "us-east-1",
        60,
        s3_time(),
    );
    assert!(
        p.url.contains("&X-Amz-Security-Token=tok%2Fen%2B%3D&"),
        "{}",
        p.url
    );
    assert!(p
        .signature
        .canonical_request
        .contains("X-Amz-Security-Token=tok%2Fen%2B%3D"));
}
