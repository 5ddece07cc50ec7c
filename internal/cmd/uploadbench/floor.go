package main

// The floor rows: what sending a cached file to a loopback socket costs
// without HTTP, OSS or VOD, so the upload rows can be read against it. A
// "bare" sender reads the file in pieces (pread), checksums each (CRC64)
// and writes what it read; a "wire" sender hands the same file, as the
// engine's request body, to a connection of internal/wire, exactly as
// net/http does. The peer is a goroutine of the parent that discards what
// arrives, so only the sender's CPU is in the row.

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vodupload/vodupload/internal/crc64"
	"github.com/vodupload/vodupload/internal/partio"
	"github.com/vodupload/vodupload/internal/wire"
)

// Floor kinds.
const (
	kindFloorBare    = "floor-bare"     // pread + CRC64 + write
	kindFloorWire    = "floor-wire"     // internal/wire's ReadFrom of a partio.Body
	kindFloorBareTLS = "floor-bare-tls" // pread + CRC64 + tls.Conn.Write (a socket write per record)
	kindFloorWireTLS = "floor-wire-tls" // internal/wire's TLS ReadFrom
)

// The floor child finds its peer in the environment.
const (
	envFloorAddr    = "UPLOADBENCH_FLOOR_ADDR"
	envFloorTLSAddr = "UPLOADBENCH_FLOOR_TLS_ADDR"
	envFloorCert    = "UPLOADBENCH_FLOOR_CERT"
)

// isFloor reports whether kind is a floor kind.
func isFloor(kind string) bool {
	switch kind {
	case kindFloorBare, kindFloorWire, kindFloorBareTLS, kindFloorWireTLS:
		return true
	}
	return isStreamFloor(kind)
}

// sendFloor sends j.File to the peer the way j.Kind says, over j.Workers
// connections at once (each a contiguous share of the file), as an upload
// sends its parts.
func sendFloor(ctx context.Context, j job, getenv func(string) string) error {
	if isStreamFloor(j.Kind) {
		return sendFloorStream(ctx, j, getenv)
	}
	f, err := os.Open(j.File)
	if err != nil {
		return err
	}
	defer f.Close()
	dial, err := floorDialer(ctx, j, getenv)
	if err != nil {
		return err
	}
	workers := max(j.Workers, 1)
	share := (j.Size + int64(workers) - 1) / int64(workers)
	errs := make(chan error, workers)
	for off := int64(0); off < j.Size; off += share {
		go func() {
			errs <- sendRange(dial, j, io.NewSectionReader(f, off, min(share, j.Size-off)))
		}()
	}
	for off := int64(0); off < j.Size; off += share {
		err = errors.Join(err, <-errs)
	}
	return err
}

// sendRange sends r over a connection of its own.
func sendRange(dial func() (net.Conn, error), j job, r *io.SectionReader) error {
	conn, err := dial()
	if err != nil {
		return fmt.Errorf("floor: dial: %w", err)
	}
	defer conn.Close()
	if j.Kind == kindFloorWire || j.Kind == kindFloorWireTLS {
		body := partio.NewBody(r, r.Size(), nil)
		n, err := conn.(io.ReaderFrom).ReadFrom(&io.LimitedReader{R: body, N: r.Size()})
		if err == nil && n != r.Size() {
			err = fmt.Errorf("sent %d of %d bytes", n, r.Size())
		}
		return err
	}
	return sendBare(r, conn, j.WriteSize, j.ReadSize)
}

// floorDialer connects to the peer as j.Kind says.
func floorDialer(ctx context.Context, j job, getenv func(string) string) (func() (net.Conn, error), error) {
	tlsKind := j.Kind == kindFloorBareTLS || j.Kind == kindFloorWireTLS
	addr := getenv(envFloorAddr)
	var roots *x509.CertPool
	if tlsKind {
		addr = getenv(envFloorTLSAddr)
		pemBytes, err := os.ReadFile(getenv(envFloorCert))
		if err != nil {
			return nil, fmt.Errorf("floor certificate: %w", err)
		}
		roots = x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pemBytes) {
			return nil, errors.New("floor certificate: no certificate in the file")
		}
	}
	if addr == "" {
		return nil, errors.New("child: the floor peer's address must be in the environment")
	}
	tlsConfig := &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	switch j.Kind {
	case kindFloorBare:
		return func() (net.Conn, error) { return net.Dial("tcp", addr) }, nil
	case kindFloorBareTLS:
		return func() (net.Conn, error) { return tls.Dial("tcp", addr, tlsConfig) }, nil
	case kindFloorWire:
		tr := wire.NewTransport(wire.Config{WriteSize: j.WriteSize, ReadSize: j.ReadSize})
		return func() (net.Conn, error) { return tr.DialContext(ctx, "tcp", addr) }, nil
	case kindFloorWireTLS:
		tr := wire.NewTransport(wire.Config{WriteSize: j.WriteSize, ReadSize: j.ReadSize, TLS: tlsConfig})
		return func() (net.Conn, error) { return tr.DialTLSContext(ctx, "tcp", addr) }, nil
	}
	return nil, fmt.Errorf("child: unknown floor kind %q", j.Kind)
}

// sendBare is the least a checksumming sender does: read a piece, CRC it,
// write when a write's worth is read.
func sendBare(r *io.SectionReader, conn net.Conn, write, read int) error {
	if read <= 0 {
		read = write
	}
	buf := make([]byte, write)
	var crc uint64
	size := r.Size()
	for off := int64(0); off < size; {
		n := 0
		for n < len(buf) && off+int64(n) < size {
			k, err := r.ReadAt(buf[n:min(n+read, len(buf))], off+int64(n))
			crc = crc64.Update(crc, buf[n:n+k])
			n += k
			if err != nil && !(errors.Is(err, io.EOF) && off+int64(n) >= size) {
				return fmt.Errorf("floor: read: %w", err)
			}
		}
		if _, err := conn.Write(buf[:n]); err != nil {
			return fmt.Errorf("floor: write: %w", err)
		}
		off += int64(n)
	}
	_ = crc // computed as an upload must; nothing to check it against here
	return nil
}

// floorPeer is the parent's discarding peer: plain TCP and TLS listeners
// on loopback.
type floorPeer struct {
	plain, tls net.Listener
	certFile   string
	wg         sync.WaitGroup
	received   atomic.Int64 // bytes discarded, TLS ones decrypted
}

// startFloorPeer listens on two loopback ports and discards every byte
// sent to them; the TLS one presents a throwaway certificate written to
// dir.
func startFloorPeer(dir string) (*floorPeer, error) {
	cert, pemBytes, err := throwawayCert()
	if err != nil {
		return nil, err
	}
	p := &floorPeer{certFile: filepath.Join(dir, "floor.pem")}
	if err := os.WriteFile(p.certFile, pemBytes, 0o600); err != nil {
		return nil, err
	}
	if p.plain, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		return nil, err
	}
	tl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		_ = p.plain.Close()
		return nil, err
	}
	p.tls = tls.NewListener(tl, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	for _, ln := range []net.Listener{p.plain, p.tls} {
		p.wg.Go(func() { p.serve(ln) })
	}
	return p, nil
}

func (p *floorPeer) serve(ln net.Listener) {
	var conns sync.WaitGroup
	defer conns.Wait()
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		conns.Go(func() {
			n, _ := io.CopyBuffer(io.Discard, c, make([]byte, 1<<20))
			p.received.Add(n)
			_ = c.Close()
		})
	}
}

func (p *floorPeer) env() []string {
	return []string{envFloorAddr + "=" + p.plain.Addr().String(), envFloorTLSAddr + "=" + p.tls.Addr().String(),
		envFloorCert + "=" + p.certFile}
}

// stop closes the listeners and waits for the connections to end, which
// they do when their senders exit.
func (p *floorPeer) stop() {
	_ = p.plain.Close()
	_ = p.tls.Close()
	p.wg.Wait()
}

// throwawayCert is a self-signed certificate for 127.0.0.1.
func throwawayCert() (tls.Certificate, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "uploadbench floor"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		IsCA:         true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key},
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), nil
}
