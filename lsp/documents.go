package lsp

import (
	stdjson "encoding/json"
	"fmt"
	"sync"

	"github.com/sandrun/sandrun/internal/jsonerr"
)

// document is an open text document as the client last sent it.
type document struct {
	uri        string
	languageID string
	version    int
	text       string
}

// documents holds the open documents (full sync: the client sends the whole text on change).
type documents struct {
	mu   sync.Mutex
	open map[string]*document
}

func newDocuments() *documents { return &documents{open: map[string]*document{}} }

// get returns a copy of the document at uri.
func (d *documents) get(uri string) (document, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	doc, ok := d.open[uri]
	if !ok {
		return document{}, false
	}
	return *doc, true
}

type textDocumentItem struct {
	URI        string `json:"uri"`
	LanguageID string `json:"languageId"`
	Version    int    `json:"version"`
	Text       string `json:"text"`
}

type textDocumentIdentifier struct {
	URI     string `json:"uri"`
	Version int    `json:"version"`
}

func (s *Server) didOpen(params stdjson.RawMessage) error {
	var p struct {
		TextDocument textDocumentItem `json:"textDocument"`
	}
	if err := decodeParams(params, &p); err != nil {
		return err
	}
	td := p.TextDocument
	s.docs.mu.Lock()
	s.docs.open[td.URI] = &document{uri: td.URI, languageID: td.LanguageID, version: td.Version, text: td.Text}
	s.docs.mu.Unlock()
	return nil
}

// didChange applies the changes in order. The server asks for full sync, but a change with a
// range is applied as an incremental edit too.
func (s *Server) didChange(params stdjson.RawMessage) error {
	var p struct {
		TextDocument   textDocumentIdentifier `json:"textDocument"`
		ContentChanges []struct {
			Range *textRange `json:"range"`
			Text  string     `json:"text"`
		} `json:"contentChanges"`
	}
	if err := decodeParams(params, &p); err != nil {
		return err
	}
	s.docs.mu.Lock()
	defer s.docs.mu.Unlock()
	doc, ok := s.docs.open[p.TextDocument.URI]
	if !ok {
		return fmt.Errorf("change to %s, which was never opened (didOpen)", p.TextDocument.URI)
	}
	for _, ch := range p.ContentChanges {
		if ch.Range == nil {
			doc.text = ch.Text
			continue
		}
		text, err := replace(doc.text, *ch.Range, ch.Text)
		if err != nil {
			return fmt.Errorf("%s: %w", doc.uri, err)
		}
		doc.text = text
	}
	doc.version = p.TextDocument.Version
	return nil
}

func (s *Server) didClose(params stdjson.RawMessage) error {
	var p struct {
		TextDocument textDocumentIdentifier `json:"textDocument"`
	}
	if err := decodeParams(params, &p); err != nil {
		return err
	}
	s.docs.mu.Lock()
	delete(s.docs.open, p.TextDocument.URI)
	s.docs.mu.Unlock()
	s.publish(p.TextDocument.URI, nil) // a closed document shows no problems
	return nil
}

// didSave records the saved text (the server asks for includeText) and, when the document is in
// watch mode, runs it.
func (s *Server) didSave(params stdjson.RawMessage) error {
	var p struct {
		TextDocument textDocumentIdentifier `json:"textDocument"`
		Text         *string                `json:"text"`
	}
	if err := decodeParams(params, &p); err != nil {
		return err
	}
	uri := p.TextDocument.URI
	if p.Text != nil {
		s.docs.mu.Lock()
		if doc, ok := s.docs.open[uri]; ok {
			doc.text = *p.Text
		}
		s.docs.mu.Unlock()
	}
	s.watches.saved(uri, p.Text)
	return nil
}

// decodeParams decodes a message's params, saying which shape was expected when it fails.
func decodeParams(params stdjson.RawMessage, v any) error {
	if err := stdjson.Unmarshal(params, v); err != nil {
		return fmt.Errorf("bad params %s: %s", clip(string(params)), jsonerr.Explain("the params", err).Msg)
	}
	return nil
}
