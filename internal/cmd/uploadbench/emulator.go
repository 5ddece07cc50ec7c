package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// emulatorProc is examples/emulator running as its own process, so its CPU
// and memory never count against the client under test.
type emulatorProc struct {
	cmd      *exec.Cmd
	endpoint string
	keyID    string
	secret   string
	certFile string // in TLS mode, the certificate children trust
	certDir  string // in TLS mode, an empty directory of further certificates
}

// wanFaults is the emulator's stand-in for a long-haul link.
type wanFaults struct {
	latency   time.Duration
	bandwidth int64 // bytes per second per connection; 0: none
}

// buildEmulator compiles examples/emulator into dir, unless bin names a
// binary already built.
func buildEmulator(ctx context.Context, dir, bin string) (string, error) {
	if bin != "" {
		return bin, nil
	}
	out := filepath.Join(dir, "emulator")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "github.com/vodupload/vodupload/examples/emulator")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build examples/emulator: %w", err)
	}
	return out, nil
}

// startEmulator runs bin in discard mode and reads the endpoint and root
// AccessKey from its first line. With tls it serves HTTPS and writes the
// certificate to trust into dir.
func startEmulator(bin string, f wanFaults, tls bool, dir string) (*emulatorProc, error) {
	args := []string{"-storage", "discard"}
	var certDir string
	if tls {
		args = append(args, "-tls", "-cert-file", filepath.Join(dir, "emulator.pem"))
		certDir = filepath.Join(dir, "no-certs")
		if err := os.MkdirAll(certDir, 0o700); err != nil {
			return nil, err
		}
	}
	if f.latency > 0 {
		args = append(args, "-latency", f.latency.String())
	}
	if f.bandwidth > 0 {
		args = append(args, "-bandwidth", strconv.FormatInt(f.bandwidth, 10))
	}
	cmd := exec.Command(bin, args...)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("start emulator: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start emulator: %w", err)
	}
	var hello struct {
		OSS    string `json:"oss_endpoint"`
		KeyID  string `json:"access_key_id"`
		Secret string `json:"access_key_secret"`
		Cert   string `json:"cert_file"`
	}
	line, err := bufio.NewReader(stdout).ReadBytes('\n')
	if err == nil {
		err = json.Unmarshal(line, &hello)
	}
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, fmt.Errorf("read the emulator's first line: %w", err)
	}
	return &emulatorProc{cmd: cmd, endpoint: hello.OSS, keyID: hello.KeyID, secret: hello.Secret,
		certFile: hello.Cert, certDir: certDir}, nil
}

// env passes the emulator to a child in its environment, not its
// arguments, which other users of the machine can read.
// In TLS mode every library trusts the emulator the way a Go program
// trusts a private CA without code: SSL_CERT_FILE replaces the system
// roots' file, and SSL_CERT_DIR, an empty directory, their directories,
// whose hundreds of certificates would otherwise be parsed by every child
// (tens of milliseconds of CPU that say nothing about an upload).
func (e *emulatorProc) env() []string {
	env := append(os.Environ(), envEndpoint+"="+e.endpoint, envKeyID+"="+e.keyID, envSecret+"="+e.secret)
	if e.certFile != "" {
		env = append(env, "SSL_CERT_FILE="+e.certFile, "SSL_CERT_DIR="+e.certDir)
	}
	return env
}

// stop asks the emulator to shut down and waits for it.
func (e *emulatorProc) stop() error {
	if err := e.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return fmt.Errorf("stop emulator: %w", err)
	}
	if err := e.cmd.Wait(); err != nil {
		return fmt.Errorf("emulator exited: %w", err)
	}
	return nil
}
