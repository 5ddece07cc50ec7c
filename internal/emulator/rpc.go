package emulator

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// vodVersion is the only API version the emulator speaks.
const vodVersion = "2017-03-21"

// timestampSkew is how far a request's Timestamp may be from the server
// clock, and how long a SignatureNonce is remembered. POP uses 15 minutes.
const timestampSkew = 15 * time.Minute

// maxRememberedNonces bounds the nonce map; beyond it, stale nonces are
// dropped on insert.
const maxRememberedNonces = 4096

// rpcParams are the parameters of one RPC call, query and form merged.
type rpcParams map[string]string

func (p rpcParams) get(name string) string { return p[name] }

// rpcError is an error answer in POP's format.
type rpcError struct {
	status  int
	code    string
	message string
}

func newRPCError(status int, code, message string) *rpcError {
	return &rpcError{status: status, code: code, message: message}
}

// missingParam is POP's answer to a parameter the API's metadata marks
// required ("required": true in aliyun-openapi-meta): the gateway checks
// it before the service sees the request.
func missingParam(name string) *rpcError {
	return newRPCError(http.StatusBadRequest, "Missing"+name, name+" is mandatory for this action.")
}

// missingParameter is VOD's own answer to a parameter that only some
// requests need, such as ImageIds with DeleteImageType=ImageId (VOD's
// common error codes: MissingParameter, 400).
func missingParameter(name string) *rpcError {
	return newRPCError(http.StatusBadRequest, "MissingParameter",
		`The input parameter "`+name+`" that is mandatory for processing this request is not supplied.`)
}

// invalidParam is VOD's InvalidParameter (common error codes, 400).
func invalidParam(name string) *rpcError {
	return newRPCError(http.StatusBadRequest, "InvalidParameter", "The specified parameter "+name+" is not valid.")
}

// readParams merges query and form parameters. The SDK sends everything in
// the query with an empty form body, but POP accepts either, and a request
// signed over both must verify over both. Undecodable parameters get POP's
// RequestParameterMalformed.
func readParams(w http.ResponseWriter, r *http.Request) (rpcParams, *rpcError) {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		return nil, newRPCError(http.StatusBadRequest, "RequestParameterMalformed", "Request parameters has malformed encoded characters.")
	}
	p := make(rpcParams, len(r.Form))
	for k, vs := range r.Form {
		if len(vs) > 0 {
			p[k] = vs[0]
		}
	}
	return p, nil
}

// popEscape percent-encodes s the way POP's signature v1 does: RFC 3986
// unreserved characters stay, everything else is %XX, space is %20.
func popEscape(s string) string {
	e := url.QueryEscape(s)
	e = strings.ReplaceAll(e, "+", "%20")
	e = strings.ReplaceAll(e, "*", "%2A")
	return strings.ReplaceAll(e, "%7E", "~")
}

// stringToSign builds METHOD&%2F&escape(canonical query) over every
// parameter except Signature, sorted by name.
func stringToSign(method string, p rpcParams) string {
	keys := make([]string, 0, len(p))
	for k := range p {
		if k != "Signature" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(popEscape(k))
		b.WriteByte('=')
		b.WriteString(popEscape(p[k]))
	}
	return method + "&%2F&" + popEscape(b.String())
}

// signRPC is HMAC-SHA1 keyed with secret+"&", base64-encoded.
func signRPC(toSign, secret string) string {
	m := hmac.New(sha1.New, []byte(secret+"&"))
	m.Write([]byte(toSign))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// authenticate checks the common parameters, the signature, the clock skew
// and the nonce, in that order, so a request that fails verification never
// burns its nonce.
func (s *Server) authenticate(method string, p rpcParams) *rpcError {
	// Format is optional (XML by default); the rest are mandatory, checked
	// in the order POP reports them.
	for _, name := range []string{"Version", "AccessKeyId", "SignatureMethod", "Timestamp",
		"SignatureVersion", "SignatureNonce", "Signature"} {
		if p.get(name) == "" {
			return missingParam(name)
		}
	}
	if p.get("Version") != vodVersion {
		return newRPCError(http.StatusBadRequest, "InvalidVersion", "Specified parameter Version is not valid.")
	}
	if f := strings.ToUpper(p.get("Format")); f != "" && f != "JSON" && f != "XML" {
		return newRPCError(http.StatusBadRequest, "InvalidParameter.Format", "Specified parameter Format is not valid.")
	}
	// VOD's "Common parameters" example signs with SignatureMethod=Hmac-SHA1.
	if !strings.EqualFold(p.get("SignatureMethod"), "HMAC-SHA1") || p.get("SignatureVersion") != "1.0" {
		return newRPCError(http.StatusBadRequest, "InvalidSignatureMethod", "Specified signature method or version is not supported.")
	}
	if err := s.checkTimestamp(p.get("Timestamp")); err != nil {
		return err
	}
	if p.get("AccessKeyId") != s.AccessKeyID {
		return newRPCError(http.StatusNotFound, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
	}
	toSign := stringToSign(method, p)
	want := signRPC(toSign, s.AccessKeySecret)
	if !hmac.Equal([]byte(want), []byte(p.get("Signature"))) {
		// POP echoes its string-to-sign so the SDK can tell a wrong secret
		// from a canonicalisation bug; clients must not log it blindly.
		return newRPCError(http.StatusBadRequest, "SignatureDoesNotMatch",
			"Specified signature is not matched with our calculation. server string to sign is:"+toSign)
	}
	return s.useNonce(p.get("SignatureNonce"))
}

// checkTimestamp compares against the wall clock, not Options.Now: the SDK
// stamps requests with the real time, and tests move Options.Now to age
// credentials without wanting every VOD call to fail.
//
// The format is exactly yyyy-MM-ddTHH:mm:ssZ: POP refuses fractional
// seconds with InvalidTimeStamp.Format, which Go's parser would accept.
func (s *Server) checkTimestamp(ts string) *rpcError {
	t, err := time.Parse("2006-01-02T15:04:05Z", ts)
	if err != nil || len(ts) != len("2006-01-02T15:04:05Z") {
		return newRPCError(http.StatusBadRequest, "InvalidTimeStamp.Format",
			"Specified time stamp or date value is not well formatted.")
	}
	if d := time.Since(t); d > timestampSkew || d < -timestampSkew {
		return newRPCError(http.StatusBadRequest, "InvalidTimeStamp.Expired",
			"Specified time stamp or date value is expired.")
	}
	return nil
}

// useNonce records nonce, or rejects it if it was seen within the skew
// window.
func (s *Server) useNonce(nonce string) *rpcError {
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if seen, ok := s.nonces[nonce]; ok && now.Sub(seen) <= timestampSkew {
		return newRPCError(http.StatusBadRequest, "SignatureNonceUsed",
			"Specified signature nonce was used already.")
	}
	if len(s.nonces) >= maxRememberedNonces {
		for n, seen := range s.nonces {
			if now.Sub(seen) > timestampSkew {
				delete(s.nonces, n)
			}
		}
	}
	s.nonces[nonce] = now
	return nil
}

// hostID is what VOD reports as HostId: its regional endpoint.
func (s *Server) hostID() string { return "vod." + s.Region + ".aliyuncs.com" }

// errorBody is POP's error answer, fields in the order POP writes them.
type errorBody struct {
	RequestID string `json:"RequestId"`
	HostID    string `json:"HostId"`
	Code      string `json:"Code"`
	Message   string `json:"Message"`
	Recommend string `json:"Recommend"`
}

// xmlErrorBody is errorBody as POP writes it in XML: Recommend is CDATA.
type xmlErrorBody struct {
	RequestID string `xml:"RequestId"`
	HostID    string `xml:"HostId"`
	Code      string `xml:"Code"`
	Message   string `xml:"Message"`
	Recommend struct {
		URL string `xml:",cdata"`
	} `xml:"Recommend"`
}

// writeRPCError answers with e and counts it.
func (s *Server) writeRPCError(w http.ResponseWriter, format string, e *rpcError) {
	s.countError(e.code)
	body := errorBody{
		RequestID: newRequestID(),
		HostID:    s.hostID(),
		Code:      e.code,
		Message:   e.message,
	}
	body.Recommend = "https://api.aliyun.com/troubleshoot?q=" + url.QueryEscape(e.code) +
		"&product=vod&requestId=" + body.RequestID
	if isXML(format) {
		x := xmlErrorBody{RequestID: body.RequestID, HostID: body.HostID, Code: body.Code, Message: body.Message}
		x.Recommend.URL = body.Recommend
		writeRPCBody(w, format, e.status, "Error", x)
		return
	}
	writeRPCBody(w, format, e.status, "Error", body)
}

// isXML tells the answer format: XML unless Format asks for JSON, as VOD's
// "Common parameters" give XML as the default.
func isXML(format string) bool { return !strings.EqualFold(format, "JSON") }

// writeRPCResult answers 200 with v, whose root element in XML is
// <Action>Response.
func writeRPCResult(w http.ResponseWriter, format, action string, v any) {
	writeRPCBody(w, format, http.StatusOK, action+"Response", v)
}

func writeRPCBody(w http.ResponseWriter, format string, status int, root string, v any) {
	var (
		b   []byte
		err error
	)
	if isXML(format) {
		w.Header().Set("Content-Type", "text/xml;charset=utf-8")
		b, err = marshalXMLRoot(root, v)
	} else {
		w.Header().Set("Content-Type", "application/json;charset=utf-8")
		b, err = marshalJSON(v)
	}
	if err != nil {
		http.Error(w, "emulator: encode response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// xmlDeclaration is the one POP writes, quotes and all, with no line
// break before the root element.
const xmlDeclaration = "<?xml version='1.0' encoding='UTF-8'?>"

// marshalJSON writes v without escaping <, > and &, which POP leaves as
// they are (URLs in answers carry & unescaped).
func marshalJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

func marshalXMLRoot(root string, v any) ([]byte, error) {
	var b strings.Builder
	b.WriteString(xmlDeclaration)
	enc := xml.NewEncoder(&b)
	if err := enc.EncodeElement(v, xml.StartElement{Name: xml.Name{Local: root}}); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return []byte(b.String()), nil
}
