// Package sanad holds the domain types shared by every part of the tool:
// articles and their chunks, search hits, and cited answers.
//
// The packages beside it each wrap one concern or dependency: reader
// (files to articles), analysis (Arabic-aware normalisation and stemming),
// chunk (sentence-aware splitting), embed (vectors), store (the index) and
// cmd/sanad (the command line), which only wires them together.
package sanad

// Article is one news article as read from a file or a JSONL record, after
// cleaning. Offsets of chunks and citations refer to Text.
type Article struct {
	// ID is stable across runs: the path relative to the indexed root, or
	// the record's id or url.
	ID string `json:"id"`
	// Title is the article's title: the first non-empty line of a text
	// file, the HTML title, or the record's title field.
	Title string `json:"title"`
	// Source is where the article came from: a file path or a URL.
	Source string `json:"source"`
	// Date is the publication date as given (ISO 8601 when it could be
	// parsed), empty when unknown.
	Date string `json:"date,omitempty"`
	// Text is the cleaned body text (Unicode NFC, whitespace normalised).
	Text string `json:"text,omitempty"`
	// Hash is a content hash of everything above but ID; an article whose
	// hash has not changed is not embedded again.
	Hash string `json:"hash,omitempty"`
}

// Chunk is a passage of an article: a run of whole sentences that fits the
// chunk size budget. Start and End are UTF-8 byte offsets into the
// article's Text, so Text == article.Text[Start:End].
type Chunk struct {
	ID        string `json:"chunk_id"`
	ArticleID string `json:"article_id"`
	Index     int    `json:"index"`
	Start     int    `json:"start"`
	End       int    `json:"end"`
	Text      string `json:"text"`
}

// Hit is one ranked search result: a chunk, the article it belongs to, and
// its score under the ranking that produced it (higher is better).
type Hit struct {
	Rank    int     `json:"rank"`
	Score   float64 `json:"score"`
	Chunk   Chunk   `json:"chunk"`
	Article Article `json:"article"`
}

// Citation ties a numbered source marker [N] in an answer to the exact
// passage it names. Start and End are byte offsets into the article text
// and Quote is the passage itself.
type Citation struct {
	N         int    `json:"n"`
	ArticleID string `json:"article_id"`
	Title     string `json:"title"`
	Source    string `json:"source"`
	Date      string `json:"date,omitempty"`
	ChunkID   string `json:"chunk_id"`
	Start     int    `json:"start"`
	End       int    `json:"end"`
	Quote     string `json:"quote"`
}

// Answer is the result of asking a question: the answer text with its [N]
// markers, the citations it rests on, and what verification found.
type Answer struct {
	Question string `json:"question"`
	Text     string `json:"answer"`
	// Mode is "generative" or "extractive".
	Mode      string     `json:"mode"`
	Model     string     `json:"model,omitempty"`
	Citations []Citation `json:"citations"`
	// InvalidCitations lists markers that named no source; they were removed.
	InvalidCitations []string `json:"invalid_citations"`
	// Unsupported lists answer sentences that the passage they cite does not
	// support.
	Unsupported []string `json:"unsupported"`
	// Retrieved lists the passages the answer was built from, numbered as
	// its markers number them, in the flat shape of a citation.
	Retrieved []Citation `json:"retrieved"`
}
