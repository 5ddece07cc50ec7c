package emulator

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// maxOSSClockSkew is how far a request's signing date (x-oss-date or Date)
// may be from the server's clock before OSS answers RequestTimeTooSkewed.
const maxOSSClockSkew = 15 * time.Minute

// ossSignature is what a request presents to authenticate: either the
// Authorization header or the query string of a presigned URL.
type ossSignature struct {
	accessKeyID string
	signature   string
	token       string
	date        string // signing date (x-oss-date, else Date), or the Expires parameter of a URL
	presigned   bool
}

// authorizeOSS checks, in OSS's order, that the bucket exists, that the
// request is signed by a live STS credential, and that an object operation
// stays inside that credential's scope.
func (s *Server) authorizeOSS(q *ossRequest, object bool) error {
	if !s.ossBucketExists(q.bucket) {
		return errNoSuchBucket(q.bucket)
	}
	if q.addr.wrongEndpoint {
		return s.errWrongEndpoint(q.bucket)
	}
	cred, err := s.authenticateOSS(q)
	if err != nil {
		return err
	}
	q.cred = cred
	if !object {
		return nil
	}
	if err := validateObjectKey(q.key); err != nil {
		return err
	}
	if !cred.allows(q.bucket, q.key) {
		// What OSS answers when an STS token's policy does not allow the
		// request (OSS EC page 0003-00000301; "Access denied by
		// authorizer's policy" troubleshooting page).
		return errAccessDenied("Access denied by authorizer's policy.").withEC("0003-00000301")
	}
	return nil
}

// authenticateOSS verifies an OSS V1 signature and returns a copy of the
// credential that made it.
func (s *Server) authenticateOSS(q *ossRequest) (stsCredential, error) {
	sig, err := parseOSSSignature(q.r, q.query)
	if err != nil {
		return stsCredential{}, err
	}
	cred, ok := s.ossCredential(sig.accessKeyID)
	// An STS AccessKeyId without its token is not a key OSS knows either.
	if !ok || sig.token == "" {
		return stsCredential{}, newOSSError(http.StatusForbidden, "InvalidAccessKeyId",
			"The OSS Access Key Id you provided does not exist in our records.").withEC("0002-00000902")
	}
	if subtle.ConstantTimeCompare([]byte(sig.token), []byte(cred.SecurityToken)) != 1 {
		return stsCredential{}, newOSSError(http.StatusForbidden, "InvalidSecurityToken",
			"The security token you provided is invalid.")
	}
	if s.now().After(cred.Expires) {
		return stsCredential{}, newOSSError(http.StatusForbidden, "SecurityTokenExpired",
			"The security token you provided has expired.").withEC("0002-00000007")
	}
	if err := checkOSSTime(sig); err != nil {
		return stsCredential{}, err
	}
	stringToSign := ossStringToSign(q.r, q.query, q.bucket, q.key, sig.date)
	if want := signOSS(cred.AccessKeySecret, stringToSign); !hmac.Equal([]byte(want), []byte(sig.signature)) {
		return stsCredential{}, errSignatureDoesNotMatch(sig, stringToSign)
	}
	return cred, nil
}

// errSignatureDoesNotMatch tells the client what OSS signed, as OSS does
// ("OSS signature errors" troubleshooting page, help.aliyun.com 108790):
// OSSAccessKeyId, SignatureProvided, StringToSign and its bytes in hex,
// and for a header signature EC 0002-00000040. The string to sign holds
// the request's own x-oss-* headers, the security token included, never
// the AccessKey secret.
func errSignatureDoesNotMatch(sig ossSignature, stringToSign string) *ossError {
	var hexBytes strings.Builder
	for i := 0; i < len(stringToSign); i++ {
		fmt.Fprintf(&hexBytes, "%02X ", stringToSign[i])
	}
	e := newOSSError(http.StatusForbidden, "SignatureDoesNotMatch",
		"The request signature we calculated does not match the signature you provided. "+
			"Check your key and signing method.").
		with("OSSAccessKeyId", sig.accessKeyID).with("SignatureProvided", sig.signature).
		with("StringToSign", stringToSign).with("StringToSignBytes", hexBytes.String())
	if !sig.presigned {
		e = e.withEC("0002-00000040")
	}
	return e
}

// parseOSSSignature reads the signature from a presigned URL's query or
// from the Authorization header.
func parseOSSSignature(r *http.Request, query url.Values) (ossSignature, error) {
	if query.Has("OSSAccessKeyId") || query.Has("Signature") {
		sig := ossSignature{
			accessKeyID: query.Get("OSSAccessKeyId"),
			signature:   query.Get("Signature"),
			date:        query.Get("Expires"),
			token:       query.Get("security-token"),
			presigned:   true,
		}
		if sig.accessKeyID == "" || sig.signature == "" || sig.date == "" {
			return ossSignature{}, errAccessDenied(
				"Query-string authentication requires the Signature, Expires and OSSAccessKeyId parameters")
		}
		return sig, nil
	}
	auth := r.Header.Get("Authorization")
	switch {
	case auth == "":
		return ossSignature{}, errAccessDenied("You have no right to access this object because of bucket acl.")
	case strings.HasPrefix(auth, "OSS2 "), strings.HasPrefix(auth, "OSS4-HMAC-SHA256 "):
		return ossSignature{}, errNotImplemented("OSS signature versions 2 and 4 (use the V1 signature)")
	}
	id, signature, ok := strings.Cut(strings.TrimPrefix(auth, "OSS "), ":")
	if !strings.HasPrefix(auth, "OSS ") || !ok || id == "" || signature == "" {
		return ossSignature{}, errInvalidArgument("Authorization header is invalid.")
	}
	return ossSignature{
		accessKeyID: id,
		signature:   signature,
		date:        signingDate(r.Header),
		token:       r.Header.Get("x-oss-security-token"),
	}, nil
}

// signingDate is the request time a V1 header signature covers: x-oss-date
// when the request has one, else Date. OSS "Include a V1 signature in the
// Authorization header": the value "is taken from the Date or the
// x-oss-date header; when both are present, x-oss-date prevails". ali-oss
// (lib/common/utils/createRequest.js) sends only x-oss-date, because a
// browser cannot set Date.
func signingDate(h http.Header) string {
	if d := h.Get("x-oss-date"); d != "" {
		return d
	}
	return h.Get("Date")
}

// checkOSSTime rejects a stale signing date or an expired presigned URL. It uses
// the wall clock, not Options.Now: Now ages credentials, and moving it must
// not make every request look skewed.
func checkOSSTime(sig ossSignature) error {
	now := time.Now()
	if sig.presigned {
		exp, err := strconv.ParseInt(sig.date, 10, 64)
		if err != nil || now.Unix() > exp {
			return errAccessDenied("Request has expired.").withEC("0002-00000069")
		}
		return nil
	}
	if sig.date == "" {
		return errAccessDenied("OSS authentication requires a valid Date.")
	}
	date, err := http.ParseTime(sig.date)
	if err != nil {
		// OSS EC page 0002-00000505: the time parameter cannot be parsed.
		return errAccessDenied("OSS authentication requires a valid Date.").withEC("0002-00000505")
	}
	if d := now.Sub(date); d > maxOSSClockSkew || d < -maxOSSClockSkew {
		// ServerTime is what ali-oss's browser client reads to correct its
		// clock and retry (lib/browser/client.js requestError).
		return newOSSError(http.StatusForbidden, "RequestTimeTooSkewed",
			"The difference between the request time and the current time is too large.").
			with("ServerTime", formatOSSTime(now)).withEC("0002-00000504")
	}
	return nil
}

// ossStringToSign builds the V1 string to sign exactly as OSS (and
// aliyun-oss-go-sdk's getSignedStr) does:
//
//	VERB \n Content-MD5 \n Content-Type \n Date \n CanonicalizedOSSHeaders CanonicalizedResource
func ossStringToSign(r *http.Request, query url.Values, bucket, key, date string) string {
	var b strings.Builder
	b.WriteString(r.Method + "\n")
	b.WriteString(r.Header.Get("Content-MD5") + "\n")
	b.WriteString(r.Header.Get("Content-Type") + "\n")
	b.WriteString(date + "\n")
	b.WriteString(canonicalOSSHeaders(r.Header))
	b.WriteString(canonicalOSSResource(bucket, key, query))
	return b.String()
}

// canonicalOSSHeaders is every x-oss-* header, lower-cased, sorted by
// name, as "name:value\n" with the first value.
func canonicalOSSHeaders(h http.Header) string {
	var names []string
	values := make(map[string]string)
	for k, v := range h {
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, "x-oss-") && len(v) > 0 {
			names = append(names, lk)
			values[lk] = v[0]
		}
	}
	slices.Sort(names)
	var b strings.Builder
	for _, n := range names {
		b.WriteString(n + ":" + values[n] + "\n")
	}
	return b.String()
}

// canonicalOSSResource is /bucket/key followed by the signed
// sub-resources, sorted, unescaped, "name" or "name=value" joined by "&".
func canonicalOSSResource(bucket, key string, query url.Values) string {
	res := "/" + bucket + "/" + key
	if bucket == "" {
		res = "/"
	}
	var names []string
	for k := range query {
		if isOSSSubresource(k) {
			names = append(names, k)
		}
	}
	if len(names) == 0 {
		return res
	}
	slices.Sort(names)
	subs := make([]string, len(names))
	for i, k := range names {
		subs[i] = k
		if v := query.Get(k); v != "" {
			subs[i] += "=" + v
		}
	}
	return res + "?" + strings.Join(subs, "&")
}

func signOSS(secret, stringToSign string) string {
	h := hmac.New(sha1.New, []byte(secret))
	h.Write([]byte(stringToSign))
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// isOSSSubresource reports whether a query parameter is part of the signed
// resource; the list is OSS's, as aliyun-oss-go-sdk v1 carries it.
func isOSSSubresource(name string) bool {
	switch name {
	case "acl", "uploads", "location", "cors", "logging", "website", "referer", "lifecycle",
		"delete", "append", "tagging", "objectMeta", "uploadId", "partNumber", "security-token",
		"position", "img", "style", "styleName", "replication", "replicationProgress",
		"replicationLocation", "cname", "bucketInfo", "comp", "qos", "live", "status", "vod",
		"startTime", "endTime", "symlink", "x-oss-process", "response-content-type",
		"x-oss-traffic-limit", "response-content-language", "response-expires",
		"response-cache-control", "response-content-disposition", "response-content-encoding",
		"udf", "udfName", "udfImage", "udfId", "udfImageDesc", "udfApplication",
		"udfApplicationLog", "restore", "callback", "callback-var", "qosInfo", "policy", "stat",
		"encryption", "versions", "versioning", "versionId", "requestPayment",
		"x-oss-request-payer", "sequential", "inventory", "inventoryId", "continuation-token",
		"asyncFetch", "worm", "wormId", "wormExtend", "withHashContext", "x-oss-enable-md5",
		"x-oss-enable-sha1", "x-oss-enable-sha256", "x-oss-hash-ctx", "x-oss-md5-ctx",
		"transferAcceleration", "regionList", "cloudboxes", "x-oss-ac-source-ip",
		"x-oss-ac-subnet-mask", "x-oss-ac-vpc-id", "x-oss-ac-forward-allow", "metaQuery",
		"resourceGroup", "rtc", "x-oss-async-process", "responseHeader":
		return true
	}
	return false
}

// ossCredential returns a copy of the credential for id, taken under s.mu
// because ExpireCredentials rewrites Expires concurrently.
func (s *Server) ossCredential(id string) (stsCredential, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.sts[id]
	if !ok {
		return stsCredential{}, false
	}
	return *c, true
}

// ossBucketExists reports whether some credential was ever issued for
// bucket; the emulator has no bucket management, so that is what creates
// one.
func (s *Server) ossBucketExists(bucket string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.sts {
		if c.Bucket == bucket {
			return true
		}
	}
	return false
}
