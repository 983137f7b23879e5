package upstream

import (
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"strings"
)

// Sign returns the request signature for the given system parameters:
// UPPER(HEX(MD5(accessKey + timestamp + nonce + secretKey))) (API.md §1.3). The formula is
// the best evidence available, not a documented fact, so it lives in this one function.
func Sign(accessKey, timestamp, nonce, secretKey string) string {
	sum := md5.Sum([]byte(accessKey + timestamp + nonce + secretKey))
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

const nonceAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// NewNonce returns 32 random characters from [A-Za-z0-9].
func NewNonce() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	for i := range b {
		b[i] = nonceAlphabet[int(b[i])%len(nonceAlphabet)]
	}
	return string(b[:])
}

// The system headers of every request (API.md §1.2).
const (
	HeaderAccessKey = "access-key"
	HeaderTimestamp = "timestamp"
	HeaderNonce     = "nonce-str"
	HeaderUserID    = "user-id"
	HeaderSignature = "signature"
)
