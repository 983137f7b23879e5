// Package upstream is the client of the PandaPon open API (upstream/API.md), the only way
// syncd spends quota.
//
// It owns:
//
//   - the one table of endpoints (endpoints.go): a Kind maps to its path, paging and
//     language fields and the parameters it takes; Options.Paths overrides the assumed paths;
//   - signing (signer.go): every attempt carries a new timestamp, nonce and signature;
//   - the wire types and their normalisation into Offer (wire.go, decode.go, lenient.go):
//     ids and counts may come as strings or numbers, prices as decimal strings or null,
//     the repurchase rate as "41%". An item that does not normalise goes to Page.Invalid
//     and never costs the page;
//   - limits (limiter.go): one golang.org/x/time/rate limiter and one cap on requests in
//     flight per Client, shared by every caller and spent again by every retry (DESIGN §3
//     rule 4);
//   - retries (retry.go, exchange.go): network errors, timeouts, truncated bodies, HTTP 429
//     and 5xx and Options.RetryCodes are retried with capped, fully jittered exponential
//     backoff, honouring Retry-After; anything else fails at once with an error that says
//     what to check (errors.go, DESIGN §3 rule 5). IsPermanent tells the two apart;
//   - bounds: bodies are read through Options.MaxBodyBytes, each attempt through
//     Options.Timeout (DESIGN §3 rule 6).
//
// The secret key never leaves the signer: no error, log line, request body or String
// method contains it, and upstream text that would echo it is redacted (DESIGN §3 rule 8).
// A done context ends every wait at once and is returned as is (context.Canceled is not an
// upstream failure).
//
// The simulator in upstream/sim serves the same API from the same endpoint table.
package upstream
