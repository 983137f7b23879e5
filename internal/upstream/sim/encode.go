package sim

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Answers are appended to pooled buffers by hand rather than through encoding/json: the
// field order then matches the documented examples, developId goes out as a bare 19-digit
// number (which encoding/json could only do through json.Number), and a page costs no
// allocations beyond its buffer.

const contentTypeJSON = "application/json;charset=UTF-8"

// envelopeHead appends the envelope up to and including `"data":`.
func (s *Server) envelopeHead(b []byte, seq uint64, code int, msg string) []byte {
	b = append(b, `{"requestId":"`...)
	seed := uint64(s.opts.Seed)
	b = appendHex32(b, mix64(seed^mix64(seq)), mix64(seq^mix64(seed+0x51ed)))
	b = append(b, `","code":`...)
	b = strconv.AppendInt(b, int64(code), 10)
	b = append(b, `,"developId":`...)
	b = append(b, s.developID...)
	b = append(b, `,"msg":`...)
	b = appendJSONString(b, msg)
	return append(b, `,"data":`...)
}

// appendPage appends the paged data object (API.md §1.5) for one page of res. totalRecords
// is capped at MaxResults; when the real count is larger, totalPage is one more than the
// pages that hold results, like the documented 2000/401 example, and that page is empty.
func (s *Server) appendPage(b []byte, res result, page, size int) []byte {
	records := min(res.total, MaxResults)
	pages := (records + size - 1) / size
	if res.total > MaxResults {
		pages++
	}
	b = append(b, `{"totalRecords":`...)
	b = strconv.AppendInt(b, int64(records), 10)
	b = append(b, `,"totalPage":`...)
	b = strconv.AppendInt(b, int64(pages), 10)
	b = append(b, `,"pageSize":`...)
	b = strconv.AppendInt(b, int64(size), 10)
	b = append(b, `,"currentPage":`...)
	b = strconv.AppendInt(b, int64(page), 10)
	b = append(b, `,"data":[`...)
	from := (page - 1) * size
	for i := from; i < from+size && i < len(res.ids) && from >= 0; i++ {
		if i > from {
			b = append(b, ',')
		}
		b = s.appendItem(b, &s.cat.offers[res.ids[i]])
	}
	return append(b, "]}"...)
}

// appendItem appends one offer as listing endpoints send it (API.md §1.9, plus categoryId
// and sellerOpenId). The caller holds s.mu for reading.
func (s *Server) appendItem(b []byte, o *offer) []byte {
	b = append(b, `{"imageUrl":"`...)
	b = s.cat.appendImageURL(b, o, s.opts.ImageBaseURL)
	b = append(b, `","subject":"`...)
	b = appendSubject(b, o)
	b = append(b, `","subjectTrans":"`...)
	b = appendSubjectTrans(b, o)
	b = append(b, `","offerMapId":"`...)
	b = strconv.AppendUint(b, o.id, 10)
	b = append(b, `","isJxhy":`...)
	b = strconv.AppendBool(b, o.jx)
	b = append(b, `,"priceInfo":{"price":"`...)
	b = appendFen(b, o.price)
	b = append(b, `","jxhyPrice":`...)
	b = appendOptionalFen(b, o.jxhy)
	b = append(b, `,"pfJxhyPrice":`...)
	b = appendOptionalFen(b, o.pfJxhy)
	b = append(b, `},"repurchaseRate":"`...)
	b = strconv.AppendInt(b, int64(o.repurchase), 10)
	b = append(b, `%","monthSold":`...)
	b = strconv.AppendInt(b, int64(o.monthSold), 10)
	b = append(b, `,"categoryId":"`...)
	b = append(b, families[o.family].nouns[o.noun].subID...)
	b = append(b, `","sellerOpenId":"`...)
	b = append(b, s.cat.sellers[o.seller].openID...)
	return append(b, `"}`...)
}

func appendOptionalFen(b []byte, fen int32) []byte {
	if fen < 0 {
		return append(b, "null"...)
	}
	b = append(b, '"')
	b = appendFen(b, fen)
	return append(b, '"')
}

// appendJSONString appends s as a quoted JSON string; invalid UTF-8 becomes U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	b = append(b, '"')
	b = jsonEscape(b, s)
	return append(b, '"')
}

// jsonEscape appends s escaped for the inside of a JSON string.
func jsonEscape(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\t':
			b = append(b, '\\', 't')
		case '\r':
			b = append(b, '\\', 'r')
		default:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	return append(b, s[start:]...)
}
