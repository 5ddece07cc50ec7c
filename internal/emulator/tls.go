package emulator

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"time"
)

// Real OSS and VOD endpoints are https://. In TLS mode the emulator serves
// HTTPS with a certificate of its own: a throwaway certificate authority,
// whose certificate is written to a file clients can trust (Go's
// SSL_CERT_FILE, Node's NODE_EXTRA_CA_CERTS, a CertPool), and a leaf it
// signs for every name a client may put in Host or SNI.

// tlsSetup is the emulator's certificate material.
type tlsSetup struct {
	config   *tls.Config
	pool     *x509.CertPool
	certFile string
	remove   bool // certFile is a temporary file Close deletes
}

// newTLSSetup creates the authority and the leaf for addr and writes the
// authority's certificate to opts.CertFile, or to a temporary file.
func newTLSSetup(opts Options, addr net.Addr) (*tlsSetup, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("emulator: tls: %w", err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          serialNumber(),
		Subject:               pkix.Name{Organization: []string{"vodupload emulator"}, CommonName: "vodupload emulator CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("emulator: tls: %w", err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, fmt.Errorf("emulator: tls: %w", err)
	}
	leafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("emulator: tls: %w", err)
	}
	leafTmpl := &x509.Certificate{
		SerialNumber: serialNumber(),
		Subject:      pkix.Name{Organization: []string{"vodupload emulator"}, CommonName: "localhost"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     certDNSNames(opts),
		IPAddresses:  certIPs(addr, opts.Hostname),
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, ca, &leafKey.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("emulator: tls: %w", err)
	}
	t := &tlsSetup{pool: x509.NewCertPool(), certFile: opts.CertFile}
	t.pool.AddCert(ca)
	t.config = &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{leafDER, caDER}, PrivateKey: leafKey}},
		MinVersion:   tls.VersionTLS12,
		// HTTP/1.1 only, as OSS clients speak it; ALPN offers nothing else.
		NextProtos: []string{"http/1.1"},
	}
	if err := t.writeCert(caDER); err != nil {
		return nil, err
	}
	return t, nil
}

// writeCert writes the authority's certificate in PEM, readable by every
// user: it is public.
func (t *tlsSetup) writeCert(der []byte) error {
	block := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if t.certFile != "" {
		if err := os.WriteFile(t.certFile, block, 0o644); err != nil {
			return fmt.Errorf("emulator: write certificate: %w", err)
		}
		return nil
	}
	f, err := os.CreateTemp("", "vodupload-emulator-*.pem")
	if err != nil {
		return fmt.Errorf("emulator: write certificate: %w", err)
	}
	t.certFile, t.remove = f.Name(), true
	_, err = f.Write(block)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(t.certFile)
		return fmt.Errorf("emulator: write certificate: %w", err)
	}
	_ = os.Chmod(t.certFile, 0o644)
	return nil
}

// certDNSNames are the host names clients reach the emulator by: localhost
// and its bucket subdomains, Options.Hostname and its bucket subdomains,
// and the region's OSS endpoint names, because ali-oss with an IP endpoint
// sends Host "<bucket>.oss-<region>.aliyuncs.com" and Node checks the
// certificate against Host (Node's https agent takes SNI from it). Node
// never matches "*.localhost" (it refuses wildcards on a top-level name);
// Go does.
func certDNSNames(opts Options) []string {
	names := []string{"localhost", "*.localhost"}
	if opts.Hostname != "" && opts.Hostname != "localhost" && net.ParseIP(opts.Hostname) == nil {
		names = append(names, opts.Hostname, "*."+opts.Hostname)
	}
	oss := "oss-" + opts.Region + ".aliyuncs.com"
	internal := "oss-" + opts.Region + "-internal.aliyuncs.com"
	return append(names, oss, "*."+oss, internal, "*."+internal)
}

// certIPs are the loopback addresses, the listener's own when it is a
// specific one, and Hostname when it is an IP (the address URL
// advertises, e.g. a LAN address in front of a 0.0.0.0 listener).
func certIPs(addr net.Addr, hostname string) []net.IP {
	ips := []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	if tcp, ok := addr.(*net.TCPAddr); ok && !tcp.IP.IsUnspecified() && !tcp.IP.IsLoopback() {
		ips = append(ips, tcp.IP)
	}
	if ip := net.ParseIP(hostname); ip != nil {
		ips = append(ips, ip)
	}
	return ips
}

func serialNumber() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return n
}

// CertPool returns a pool holding the certificate authority of a TLS-mode
// emulator, for a client's tls.Config.RootCAs; nil in plain-HTTP mode.
func (s *Server) CertPool() *x509.CertPool {
	if s.tls == nil {
		return nil
	}
	return s.tls.pool.Clone()
}

// Client returns an HTTP client for the emulator's endpoints, with its own
// connection pool, that trusts the emulator's certificate in TLS mode.
func (s *Server) Client() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if s.tls != nil {
		tr.TLSClientConfig = &tls.Config{RootCAs: s.CertPool(), MinVersion: tls.VersionTLS12}
	}
	return &http.Client{Transport: tr}
}
