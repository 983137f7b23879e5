package index

func parseFilter(s string) (Expr, error) {
	return nil, &QueryError{Param: "filter", Pos: 0, Msg: "filters are not supported yet"}
}
