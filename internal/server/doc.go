// Package server is syncd's HTTP face (DESIGN §8): the JSON search and jobs API, the web
// search page, /metrics, and health. It reads through small interfaces (index.Searcher and
// Jobs) and never touches the store or the upstream itself.
package server
