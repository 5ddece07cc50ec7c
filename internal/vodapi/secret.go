package vodapi

import (
	"fmt"
	"io"
	"log/slog"
)

// redacted is what a Secret prints as, whatever the verb or encoder.
const redacted = "[REDACTED]"

// Secret is a credential string that does not leak by accident: fmt (every
// verb, %#v included, also inside structs), slog and encoding/json all see
// "[REDACTED]". Reveal is the one deliberate way to the value.
type Secret string

// Reveal returns the secret value, for signing requests and for the
// payload an AppServer hands to its authorised client.
func (s Secret) Reveal() string { return string(s) }

// String implements fmt.Stringer.
func (Secret) String() string { return redacted }

// Format implements fmt.Formatter, so %v, %+v, %#v, %q, %x and the rest
// print the placeholder, even when the Secret is a field of a printed
// struct.
func (Secret) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, redacted) }

// LogValue implements slog.LogValuer.
func (Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalText implements encoding.TextMarshaler, which encoding/json and
// slog's JSON handler use. Unmarshalling is untouched: a Secret decodes
// from JSON as a plain string.
func (Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }
