package config

import _ "embed"

// Example is syncd.example.yaml, the annotated configuration that documents every key;
// `syncd config example` prints it, so that a user with only the binary can start from it.
//
//go:embed syncd.example.yaml
var Example []byte
