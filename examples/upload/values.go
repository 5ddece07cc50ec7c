package main

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
)

// byteSize is a flag taking 8MiB, 512KiB, 16M or plain bytes. Binary
// units are what part sizes are usually given in; KB/MB/GB are decimal
// because that is what they mean everywhere else.
type byteSize int64

func (b *byteSize) String() string { return formatSize(int64(*b)) }

func (b *byteSize) Set(s string) error {
	n, err := parseSize(s)
	if err != nil {
		return err
	}
	*b = byteSize(n)
	return nil
}

func parseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	num := strings.TrimRightFunc(t, func(r rune) bool {
		return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
	})
	unit := strings.ToLower(t[len(num):])
	mult, ok := map[string]float64{
		"": 1, "b": 1,
		"k": 1 << 10, "kib": 1 << 10, "m": 1 << 20, "mib": 1 << 20, "g": 1 << 30, "gib": 1 << 30,
		"kb": 1e3, "mb": 1e6, "gb": 1e9,
	}[unit]
	if !ok {
		return 0, fmt.Errorf("unknown unit %q: use B, KiB, MiB, GiB (or KB, MB, GB)", unit)
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, fmt.Errorf("invalid size %q", s)
	}
	v := f * mult
	if v > math.MaxInt64/2 {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	return int64(v), nil
}

// formatSize prints n the way -part-size accepts it, exact when possible.
func formatSize(n int64) string {
	for _, u := range []struct {
		name string
		size int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n >= u.size && n%u.size == 0 {
			return strconv.FormatInt(n/u.size, 10) + u.name
		}
	}
	return strconv.FormatInt(n, 10)
}

// stringList is a comma-separated flag; repeating the flag appends.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }

func (l *stringList) Set(s string) error {
	for part := range strings.SplitSeq(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			*l = append(*l, part)
		}
	}
	return nil
}

// int64List is a comma-separated list of integers; repeating appends.
type int64List []int64

func (l *int64List) String() string {
	parts := make([]string, len(*l))
	for i, v := range *l {
		parts[i] = strconv.FormatInt(v, 10)
	}
	return strings.Join(parts, ",")
}

func (l *int64List) Set(s string) error {
	var words stringList
	_ = words.Set(s)
	for _, w := range words {
		v, err := strconv.ParseInt(w, 10, 64)
		if err != nil {
			return fmt.Errorf("%q is not an integer", w)
		}
		*l = append(*l, v)
	}
	return nil
}

// keyValues is k=v,k2=v2; repeating the flag adds keys.
type keyValues map[string]string

func (kv *keyValues) String() string {
	parts := make([]string, 0, len(*kv))
	for _, k := range slices.Sorted(maps.Keys(*kv)) {
		parts = append(parts, k+"="+(*kv)[k])
	}
	return strings.Join(parts, ",")
}

func (kv *keyValues) Set(s string) error {
	var pairs stringList
	_ = pairs.Set(s)
	if *kv == nil {
		*kv = keyValues{}
	}
	for _, p := range pairs {
		k, v, ok := strings.Cut(p, "=")
		if k = strings.TrimSpace(k); !ok || k == "" {
			return errors.New("want k=v pairs separated by commas, got " + strconv.Quote(p))
		}
		(*kv)[k] = strings.TrimSpace(v)
	}
	return nil
}
