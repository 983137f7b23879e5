package index

// ParseFilter parses a filter expression in Meilisearch filter syntax (DESIGN §7) and checks
// it against the field table: unknown or non-filterable fields, and values of the wrong type
// for a field, are errors. Errors are *QueryError with Param "filter" and the byte position
// of the problem.
func ParseFilter(s string) (Expr, error) {
	return parseFilter(s)
}

// Expr is a node of a parsed filter expression: one of *And, *Or, *Not, *Cmp, *Range, *In,
// *Exists.
type Expr interface{ expr() }

// And matches when every term matches.
type And struct{ Terms []Expr }

// Or matches when any term matches.
type Or struct{ Terms []Expr }

// Not matches when X does not.
type Not struct{ X Expr }

// Cmp compares a field with a value. Op is one of "=", "!=", ">", ">=", "<", "<=".
// Ordering operators are only allowed on number fields. On a string list field (sources),
// "=" matches when any element equals the value.
type Cmp struct {
	Field string
	Op    string
	Value Value
}

// Range matches Lo <= field <= Hi ("field Lo TO Hi"); number fields only.
type Range struct {
	Field  string
	Lo, Hi float64
}

// In matches when the field equals any of Values ("field IN [a, b]"). "NOT IN" parses as
// Not{In}.
type In struct {
	Field  string
	Values []Value
}

// Exists matches documents that have the field ("field EXISTS"; "field NOT EXISTS" parses
// as Not{Exists}).
type Exists struct{ Field string }

// Value is a literal of an expression. Text is the value as written, unquoted; Num is its
// numeric value when IsNum (numbers are accepted unquoted or quoted where they parse).
type Value struct {
	Text  string
	Num   float64
	IsNum bool
}

func (*And) expr()    {}
func (*Or) expr()     {}
func (*Not) expr()    {}
func (*Cmp) expr()    {}
func (*Range) expr()  {}
func (*In) expr()     {}
func (*Exists) expr() {}
