package main

import "testing"

func TestHighlighterMarksWordsOfTheQueryInAnyForm(t *testing.T) {
	hl := highlighter("الأسلحة الكيماوية")
	got := hl("استخدام بالأسلحة في الحرب")
	want := "استخدام \x1b[1;33mبالأسلحة\x1b[0m في الحرب"
	if got != want {
		t.Errorf("highlight = %q, want %q", got, want)
	}
	if got := hl("نص بلا صلة"); got != "نص بلا صلة" {
		t.Errorf("text without query words changed: %q", got)
	}
}
