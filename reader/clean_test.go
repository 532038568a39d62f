package reader

import "testing"

func TestClean(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"only space", " \t\r\n\u00a0\n", ""},
		{"trim", "  hello  ", "hello"},
		{"space runs", "a  \t b", "a b"},
		{"crlf", "a\r\nb\rc", "a\nb\nc"},
		{"trailing spaces on lines", "a   \n  b", "a\nb"},
		{"paragraphs kept", "a\n\nb", "a\n\nb"},
		{"blank lines collapse", "a\n\n\n\n b", "a\n\nb"},
		{"blank line with spaces", "a\n  \n\t\n\nb", "a\n\nb"},
		{"bom anywhere", "\ufeffab\ufeffc", "abc"},
		{"controls", "a\x00b\x07c\x1bd\u0080e", "abcde"},
		{"nbsp and unicode spaces", "a\u00a0b\u2003c\u3000d", "a b c d"},
		{"line and paragraph separators", "a\u2028b\u2029c\u0085d", "a\nb\n\nc\nd"},
		{"zero width space between spaces", "a \u200b b", "a b"},
		{"zero width removed", "ab\u200bc\u2060d", "abcd"},
		{"bidi controls", "\u200fمرحبا\u200e \u202bعالم\u202c \u2067x\u2069\u061c", "مرحبا عالم x"},
		{"soft hyphen", "co\u00adoperate", "cooperate"},
		{"zwnj kept", "می\u200cخواهم", "می\u200cخواهم"},
		{"zwj kept", "a\u200db", "a\u200db"},
		{"arabic marks kept", "مُحَمَّدٌ", "مُحَمَّدٌ"},
		{"tatweel kept", "الســـلام", "الســـلام"},
		{"nfc", "e\u0301", "\u00e9"},
		{"nfc across removed char", "e\u200b\u0301", "\u00e9"},
		{"invalid utf8 replaced", "a\xffb", "a\ufffdb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Clean(tt.in)
			if got != tt.want {
				t.Errorf("Clean(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if again := Clean(got); again != got {
				t.Errorf("Clean not idempotent: %q -> %q", got, again)
			}
		})
	}
}
