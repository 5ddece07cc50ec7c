package emulator

import (
	"net"
	"net/http"
	"net/url"
	"strings"
)

// OSS addresses a bucket by Host, "<bucket>.<endpoint>" (virtual-hosted
// style, OSS "Common request headers": Host = BucketName.Endpoint), or by
// the first path segment when the Host is the endpoint itself (path style,
// which aliyun-oss-go-sdk uses for IP endpoints). The emulator serves both
// on one listener and decides by Host alone, as OSS does: once the Host
// names a bucket, the whole path is the key.

// ossAddress is what a request's Host and path point at.
type ossAddress struct {
	bucket, key string
	// virtual is set when the bucket came from Host.
	virtual bool
	// wrongEndpoint is set when Host is an OSS endpoint of another region,
	// which OSS refuses once it knows the bucket exists.
	wrongEndpoint bool
}

// bucketHost splits a virtual-hosted Host into the bucket label and the
// endpoint it names. It reports false for a Host that names no bucket:
// an IP, a single label such as "localhost", or a domain that is not one
// of the emulator's endpoints — "localhost", Options.Hostname, or an OSS
// endpoint "oss-<region>[-internal].aliyuncs.com" (ali-oss puts
// "<bucket>.oss-<region>.aliyuncs.com" in Host when its endpoint is an
// IP: lib/common/utils/createRequest.js).
func (s *Server) bucketHost(host string) (bucket, endpoint string, ok bool) {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if net.ParseIP(strings.Trim(host, "[]")) != nil {
		return "", "", false
	}
	bucket, endpoint, ok = strings.Cut(host, ".")
	if !ok {
		return "", "", false
	}
	switch {
	case endpoint == "localhost",
		s.opts.Hostname != "" && endpoint == strings.ToLower(s.opts.Hostname),
		isOSSEndpoint(endpoint):
		return bucket, endpoint, true
	}
	return "", "", false
}

// namesBucket reports whether host addresses a bucket virtual-hosted style.
func (s *Server) namesBucket(host string) bool {
	_, _, ok := s.bucketHost(host)
	return ok
}

// isOSSEndpoint reports whether host is an OSS region endpoint name.
func isOSSEndpoint(host string) bool {
	return strings.HasPrefix(host, "oss-") && strings.HasSuffix(host, ".aliyuncs.com")
}

// ossEndpoint is the public OSS endpoint of the emulator's region, which
// OSS names in its answer to a request sent to another region's.
func (s *Server) ossEndpoint() string { return "oss-" + s.opts.Region + ".aliyuncs.com" }

// resolveOSS finds the bucket and key r addresses.
func (s *Server) resolveOSS(r *http.Request) (ossAddress, error) {
	escaped := strings.TrimPrefix(r.URL.EscapedPath(), "/")
	bucket, endpoint, ok := s.bucketHost(r.Host)
	if !ok {
		return splitOSSPath(escaped)
	}
	if !validBucketName(bucket) {
		return ossAddress{}, newOSSError(http.StatusBadRequest, "InvalidBucketName",
			"The specified bucket is not valid.").with("BucketName", bucket)
	}
	key, err := url.PathUnescape(escaped)
	if err != nil {
		return ossAddress{}, errInvalidURI()
	}
	a := ossAddress{bucket: bucket, key: key, virtual: true}
	if isOSSEndpoint(endpoint) && endpoint != s.ossEndpoint() &&
		endpoint != "oss-"+s.opts.Region+"-internal.aliyuncs.com" {
		a.wrongEndpoint = true
	}
	return a, nil
}

// splitOSSPath splits an escaped path-style path (without its leading
// slash) into bucket and key. The Go SDK escapes the whole key, slashes
// included, so it is unescaped in one piece after the first slash.
func splitOSSPath(escaped string) (ossAddress, error) {
	b, k, _ := strings.Cut(escaped, "/")
	bucket, err := url.PathUnescape(b)
	if err != nil {
		return ossAddress{}, errInvalidURI()
	}
	key, err := url.PathUnescape(k)
	if err != nil {
		return ossAddress{}, errInvalidURI()
	}
	return ossAddress{bucket: bucket, key: key}, nil
}

func errInvalidURI() *ossError {
	return newOSSError(http.StatusBadRequest, "InvalidURI", "Couldn't parse the specified URI.")
}

// errWrongEndpoint is OSS's answer to a bucket addressed through another
// region's endpoint (as recorded in aliyun-oss-go-sdk oss/error_test.go).
func (s *Server) errWrongEndpoint(bucket string) *ossError {
	return errAccessDenied("The bucket you are attempting to access must be addressed using the specified endpoint. "+
		"Please send all future requests to this endpoint.").
		with("Bucket", bucket).with("Endpoint", s.ossEndpoint())
}

// validBucketName applies OSS's bucket naming rules: 3 to 63 lower-case
// letters, digits and hyphens, starting and ending with a letter or digit.
func validBucketName(name string) bool {
	if len(name) < 3 || len(name) > 63 || name[0] == '-' || name[len(name)-1] == '-' {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}
