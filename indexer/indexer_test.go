package indexer

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/sanadhq/sanad/chunk"
	"github.com/sanadhq/sanad/embed"
	"github.com/sanadhq/sanad/reader"
	"github.com/sanadhq/sanad/store"
)

// A file that cannot be read this time (here: over the size limit) keeps
// its articles through --prune.
func TestPruneKeepsArticlesOfInputsThatFailed(t *testing.T) {
	dir := t.TempDir()
	jl := `{"id":"x1","url":"https://example.com/1","title":"عنوان","text":"افتتحت وزارة الزراعة محطة لتحلية المياه في الساحل الجنوبي"}
{"id":"x2","url":"https://example.com/2","title":"عنوان ٢","text":"فاز المنتخب الوطني لكرة اليد ببطولة آسيا للشباب"}
`
	os.WriteFile(filepath.Join(dir, "feed.jsonl"), []byte(jl), 0o644)
	os.WriteFile(filepath.Join(dir, "gone.txt"), []byte("خبر سيحذف\n\nنص الخبر الذي سيحذف ملفه."), 0o644)
	st := store.NewMemory()
	opt := Options{Chunk: chunk.DefaultOptions()}
	if _, err := Run(context.Background(), st, embed.NewBuiltin(), []string{dir}, opt); err != nil || st.Len() != 3 {
		t.Fatalf("first run: %d articles, %v", st.Len(), err)
	}
	os.Remove(filepath.Join(dir, "gone.txt"))
	opt.Prune = true
	opt.Reader = reader.Options{MaxFileSize: 10}
	sum, err := Run(context.Background(), st, embed.NewBuiltin(), []string{dir}, opt)
	if err != nil || !sum.PruneSkipped || sum.Removed != 0 || st.Len() != 3 {
		t.Errorf("prune with an unreadable input: %+v, %v; %d articles left, want 3", sum, err, st.Len())
	}
	opt.Reader = reader.Options{}
	if sum, err := Run(context.Background(), st, embed.NewBuiltin(), []string{dir}, opt); err != nil || sum.Removed != 1 || st.Len() != 2 {
		t.Errorf("prune once every input reads: %+v, %v", sum, err)
	}
}

// cancellingEmbedder stands for a Ctrl-C that arrives while the last batch
// is being embedded.
type cancellingEmbedder struct {
	embed.Embedder
	cancel context.CancelFunc
}

func (c cancellingEmbedder) EmbedDocuments(ctx context.Context, texts []string) ([][]float32, error) {
	v, err := c.Embedder.EmbedDocuments(context.Background(), texts)
	c.cancel()
	return v, err
}

// A run cancelled after its work was embedded but before it was committed
// reports the cancellation, never success.
func TestCancelledRunIsNeverReportedComplete(t *testing.T) {
	dir := furnitureCorpus(t, 6)
	for range 20 {
		st := store.NewMemory()
		ctx, cancel := context.WithCancel(context.Background())
		sum, err := Run(ctx, st, cancellingEmbedder{embed.NewBuiltin(), cancel}, []string{dir}, Options{Chunk: chunk.DefaultOptions()})
		cancel()
		if err == nil && st.Len() < 6 {
			t.Fatalf("Run returned success with %d of 6 articles committed: %+v", st.Len(), sum)
		}
		if sum.Added != st.Len() {
			t.Fatalf("summary says %d added, the index holds %d", sum.Added, st.Len())
		}
	}
}
