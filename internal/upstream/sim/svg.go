package sim

import (
	"html"
	"net/http"
	"strconv"
	"strings"
)

// serveImage serves GET /img/{offerId}.svg: a small generated product picture, coloured by
// product family, with the family's shape and the offer's English noun, so a web page shows
// something sensible without network access. Pictures never change, so they are cacheable
// for a day and carry an ETag.
func (s *Server) serveImage(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeRaw(w, http.StatusMethodNotAllowed, "text/plain; charset=utf-8", []byte("use GET\n"))
		return
	}
	id := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/img/"), ".svg")
	ix, ok := s.cat.lookupString(id)
	if !ok {
		writeRaw(w, http.StatusNotFound, "text/plain; charset=utf-8", []byte("no such offer\n"))
		return
	}
	etag := `"` + strconv.FormatInt(s.opts.Seed, 36) + "-" + id + `"`
	h := w.Header()
	h.Set("Cache-Control", "public, max-age=86400, immutable")
	h.Set("ETag", etag)
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	writeRaw(w, http.StatusOK, "image/svg+xml", s.cat.svg(&s.cat.offers[ix]))
}

// pictureFills are the product colours a picture may have; the offer id picks one.
var pictureFills = []string{"#ffffff", "#f5e6c8", "#2f2f2f", "#9ecae1", "#fdd0a2", "#c7e9c0", "#dadaeb", "#fcbba1"}

// svg draws o's picture.
func (c *catalog) svg(o *offer) []byte {
	fam := &families[o.family]
	fill := pictureFills[mix64(o.id^uint64(c.seed))%uint64(len(pictureFills))]
	label := html.EscapeString(fam.nouns[o.noun].en)
	var b strings.Builder
	b.Grow(1024)
	b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" width="240" height="240" viewBox="0 0 240 240" role="img" aria-label="`)
	b.WriteString(label)
	b.WriteString(`"><rect width="240" height="240" fill="`)
	b.WriteString(fam.color)
	b.WriteString(`"/><g fill="`)
	b.WriteString(fill)
	b.WriteString(`" stroke="#333" stroke-width="3" stroke-linejoin="round">`)
	b.WriteString(fam.shape)
	b.WriteString(`</g><rect y="200" width="240" height="40" fill="#fff" fill-opacity="0.85"/>`)
	b.WriteString(`<text x="120" y="226" text-anchor="middle" font-family="sans-serif" font-size="16" fill="#222">`)
	b.WriteString(label)
	b.WriteString("</text></svg>\n")
	return []byte(b.String())
}

// Family shapes, drawn in the top 200×240 of the picture.
const (
	shapeShirt      = `<path d="M84 42 L104 34 Q120 50 136 34 L156 42 L196 76 L176 100 L160 88 L160 188 L80 188 L80 88 L64 100 L44 76 Z"/>`
	shapeCollar     = `<path d="M104 34 L120 58 L136 34" fill="none"/><line x1="120" y1="58" x2="120" y2="84"/>`
	shapeDress      = `<path d="M100 32 L140 32 L136 80 L178 188 L62 188 L104 80 Z"/><line x1="104" y1="80" x2="136" y2="80"/>`
	shapeShoe       = `<path d="M36 160 L36 112 Q56 102 78 112 L118 134 Q170 138 204 158 L204 178 L36 178 Z"/><line x1="36" y1="166" x2="204" y2="166"/>`
	shapeVest       = `<path d="M88 34 L104 34 Q120 74 136 34 L152 34 L158 84 L166 188 L74 188 L82 84 Z"/>`
	shapeBag        = `<path d="M92 92 Q92 48 120 48 Q148 48 148 92" fill="none" stroke-width="8"/><rect x="56" y="88" width="128" height="100" rx="12"/>`
	shapePhone      = `<rect x="78" y="30" width="84" height="160" rx="18"/><rect x="88" y="40" width="30" height="38" rx="8" fill="#333"/><circle cx="103" cy="52" r="6" fill="#999"/>`
	shapeFolder     = `<path d="M44 64 L100 64 L112 78 L196 78 L196 188 L44 188 Z"/><line x1="44" y1="96" x2="196" y2="96"/>`
	shapeCup        = `<path d="M80 64 L160 64 L150 188 L90 188 Z"/><rect x="74" y="50" width="92" height="16" rx="4"/><line x1="136" y1="50" x2="150" y2="22" stroke-width="6"/>`
	shapeBear       = `<ellipse cx="120" cy="170" rx="44" ry="24"/><circle cx="84" cy="58" r="20"/><circle cx="156" cy="58" r="20"/><circle cx="120" cy="100" r="48"/><circle cx="104" cy="92" r="5" fill="#333"/><circle cx="136" cy="92" r="5" fill="#333"/><ellipse cx="120" cy="116" rx="14" ry="10" fill="#fff"/><circle cx="120" cy="112" r="4" fill="#333"/>`
	shapeHeadphones = `<path d="M64 128 Q64 48 120 48 Q176 48 176 128" fill="none" stroke-width="10"/><rect x="50" y="118" width="34" height="60" rx="12"/><rect x="156" y="118" width="34" height="60" rx="12"/>`
)
