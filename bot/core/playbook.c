/*
 * playbook.c - parsing, the library and trigger matching; see playbook.h.
 *
 * The parser walks libyaml's document tree with one table of known keys
 * per level (playbook, triggers, step, command). It does not stop at the
 * first problem: every error found is reported with its line and column,
 * so that `scribe playbook lint` shows them all at once.
 */
#include <ctype.h>
#include <yaml.h>

#include "util/base.h"
#include "util/nearest.h"
#include "core/playbook.h"

#define MAX_ERRORS 50

struct parse {
	const char *file;
	yaml_document_t doc;
	struct buf *errors;
	int nerrors;
};

static void err_at(struct parse *p, const yaml_node_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void err_at(struct parse *p, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;
	char msg[512];

	p->nerrors++;
	if (p->nerrors > MAX_ERRORS)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	buf_addf(p->errors, "%s:%zu:%zu: %s\n", p->file,
		 n ? n->start_mark.line + 1 : 1,
		 n ? n->start_mark.column + 1 : 1, msg);
}

static yaml_node_t *node(struct parse *p, int i)
{
	return yaml_document_get_node(&p->doc, i);
}

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE
		   ? (const char *)n->data.scalar.value
		   : NULL;
}

/* A non-empty string without NUL; else an error naming key. */
static char *string(struct parse *p, const yaml_node_t *v, const char *key)
{
	const char *s = scalar(v);

	if (!s || (v->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
		   (!strcmp(s, "~") || !strcmp(s, "null")))) {
		err_at(p, v, "'%s' must be a string", key);
		return NULL;
	}
	if (strlen(s) != v->data.scalar.length) {
		err_at(p, v, "'%s' must not contain a NUL character", key);
		return NULL;
	}
	if (!*s) {
		err_at(p, v, "'%s' must not be empty", key);
		return NULL;
	}
	return xstrdup(s);
}

static bool valid_id(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > 64 || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (; *s; s++)
		if (!(islower((unsigned char)*s) ||
		      isdigit((unsigned char)*s) || *s == '-'))
			return false;
	return true;
}

static char *ident(struct parse *p, const yaml_node_t *v, const char *key)
{
	char *s = string(p, v, key);

	if (s && !valid_id(s)) {
		err_at(p, v,
		       "'%s' must be lowercase letters, digits and hyphens "
		       "(at most 64)",
		       key);
		free(s);
		return NULL;
	}
	return s;
}

/* The line of the first key of mapping m named name (its value may start
 * on a later line). */
static size_t key_line(struct parse *p, yaml_node_t *m, const char *name)
{
	yaml_node_pair_t *pair;
	const char *k;

	for (pair = m->data.mapping.pairs.start;
	     pair < m->data.mapping.pairs.top; pair++) {
		k = scalar(node(p, pair->key));
		if (k && !strcmp(k, name))
			break;
	}
	return node(p, pair->key)->start_mark.line + 1;
}

/*
 * Checks the keys of mapping m against names[0..n): unknown keys (with the
 * nearest name), duplicates. vals[i] gets the value node of names[i], or
 * NULL. Returns false when m is not a mapping.
 */
static bool keys(struct parse *p, yaml_node_t *m, const char *what,
		 const char *const *names, size_t n, yaml_node_t **vals)
{
	yaml_node_pair_t *pair;
	size_t i;

	for (i = 0; i < n; i++)
		vals[i] = NULL;
	if (!m || m->type != YAML_MAPPING_NODE) {
		err_at(p, m, "%s must be a mapping", what);
		return false;
	}
	for (pair = m->data.mapping.pairs.start;
	     pair < m->data.mapping.pairs.top; pair++) {
		yaml_node_t *k = node(p, pair->key);
		const char *name = scalar(k), *near;

		if (!name) {
			err_at(p, k, "keys must be strings");
			continue;
		}
		for (i = 0; i < n; i++)
			if (!strcmp(names[i], name))
				break;
		if (i == n) {
			near = nearest_name(name, names, n);
			if (near)
				err_at(p, k,
				       "unknown key '%s' in %s (did you mean "
				       "'%s'?)",
				       name, what, near);
			else
				err_at(p, k, "unknown key '%s' in %s", name,
				       what);
			continue;
		}
		if (vals[i]) {
			err_at(p, k, "duplicate key '%s' (first on line %zu)",
			       name, key_line(p, m, name));
			continue;
		}
		vals[i] = node(p, pair->value);
	}
	return true;
}

static bool sequence(struct parse *p, const yaml_node_t *v, const char *key)
{
	if (v->type != YAML_SEQUENCE_NODE) {
		err_at(p, v, "'%s' must be a list", key);
		return false;
	}
	return true;
}

static void parse_command(struct parse *p, yaml_node_t *m, struct pb_command *c)
{
	static const char *const names[] = {"flavor", "label", "run"};
	static const char *const flavors[] = {"postgresql", "mysql", "mariadb",
					      "shell"};
	yaml_node_t *v[ARRAY_SIZE(names)];
	size_t i;

	memset(c, 0, sizeof(*c));
	if (!keys(p, m, "a command", names, ARRAY_SIZE(names), v))
		return;
	if (!v[0]) {
		err_at(p, m, "a command needs 'flavor'");
	} else if ((c->flavor = string(p, v[0], "flavor"))) {
		for (i = 0; i < ARRAY_SIZE(flavors); i++)
			if (!strcmp(c->flavor, flavors[i]))
				break;
		if (i == ARRAY_SIZE(flavors))
			err_at(p, v[0],
			       "unknown flavor '%s': use postgresql, mysql, "
			       "mariadb or shell",
			       c->flavor);
	}
	if (v[1])
		c->label = string(p, v[1], "label");
	if (!v[2])
		err_at(p, m, "a command needs 'run'");
	else
		c->run = string(p, v[2], "run");
}

static void parse_step(struct parse *p, yaml_node_t *m, struct pb_step *s)
{
	static const char *const names[] = {
	    "id", "title", "instructions", "evidence", "skip_when", "commands"};
	yaml_node_t *v[ARRAY_SIZE(names)];
	yaml_node_item_t *it;
	const char *ev;

	memset(s, 0, sizeof(*s));
	if (!keys(p, m, "a step", names, ARRAY_SIZE(names), v))
		return;
	if (!v[0])
		err_at(p, m, "a step needs 'id'");
	else
		s->id = ident(p, v[0], "id");
	if (!v[1])
		err_at(p, m, "a step needs 'title'");
	else
		s->title = string(p, v[1], "title");
	if (!v[2])
		err_at(p, m, "a step needs 'instructions'");
	else
		s->instructions = string(p, v[2], "instructions");
	if (v[3]) {
		ev = scalar(v[3]);
		if (ev && !strcmp(ev, "required"))
			s->evidence = true;
		else if (!ev || strcmp(ev, "optional"))
			err_at(p, v[3], "'evidence' is required or optional");
	}
	if (v[4])
		s->skip_when = string(p, v[4], "skip_when");
	if (v[5] && sequence(p, v[5], "commands")) {
		for (it = v[5]->data.sequence.items.start;
		     it < v[5]->data.sequence.items.top; it++) {
			s->cmds = xrealloc(s->cmds,
					   (s->ncmds + 1) * sizeof(*s->cmds));
			parse_command(p, node(p, *it), &s->cmds[s->ncmds++]);
		}
	}
}

static void parse_triggers(struct parse *p, yaml_node_t *m, struct playbook *pb)
{
	static const char *const names[] = {"keywords", "severities"};
	yaml_node_t *v[ARRAY_SIZE(names)];
	yaml_node_item_t *it;

	if (!keys(p, m, "triggers", names, ARRAY_SIZE(names), v))
		return;
	if (v[0] && sequence(p, v[0], "keywords")) {
		for (it = v[0]->data.sequence.items.start;
		     it < v[0]->data.sequence.items.top; it++) {
			yaml_node_t *k = node(p, *it);
			char *s = string(p, k, "keywords"), *c;

			if (!s)
				continue;
			if (strlen(s) > 64) {
				err_at(p, k, "a keyword is at most 64 bytes");
				free(s);
				continue;
			}
			for (c = s; *c; c++)
				*c = (char)tolower((unsigned char)*c);
			pb->keywords = xrealloc(
			    pb->keywords, (pb->nkeywords + 1) * sizeof(char *));
			pb->keywords[pb->nkeywords++] = s;
		}
	}
	if (v[1] && sequence(p, v[1], "severities")) {
		for (it = v[1]->data.sequence.items.start;
		     it < v[1]->data.sequence.items.top; it++) {
			yaml_node_t *k = node(p, *it);
			const char *s = scalar(k);
			char *end;
			long n = s ? strtol(s, &end, 10) : 0;

			if (!s || !*s || *end || n < 1 || n > 9) {
				err_at(p, k,
				       "a severity is a number from 1 "
				       "to 9");
				continue;
			}
			pb->severities =
			    xrealloc(pb->severities,
				     (pb->nseverities + 1) * sizeof(int));
			pb->severities[pb->nseverities++] = (int)n;
		}
	}
}

static void parse_root(struct parse *p, yaml_node_t *root, struct playbook *pb)
{
	static const char *const names[] = {"id", "title", "description",
					    "triggers", "steps"};
	yaml_node_t *v[ARRAY_SIZE(names)];
	yaml_node_item_t *it;
	size_t i, j;

	if (!keys(p, root, "a playbook", names, ARRAY_SIZE(names), v))
		return;
	if (!v[0])
		err_at(p, root, "a playbook needs 'id'");
	else
		pb->id = ident(p, v[0], "id");
	if (!v[1])
		err_at(p, root, "a playbook needs 'title'");
	else
		pb->title = string(p, v[1], "title");
	if (v[2])
		pb->description = string(p, v[2], "description");
	if (v[3])
		parse_triggers(p, v[3], pb);
	if (!v[4]) {
		err_at(p, root, "a playbook needs 'steps'");
		return;
	}
	if (!sequence(p, v[4], "steps"))
		return;
	for (it = v[4]->data.sequence.items.start;
	     it < v[4]->data.sequence.items.top; it++) {
		pb->steps =
		    xrealloc(pb->steps, (pb->nsteps + 1) * sizeof(*pb->steps));
		parse_step(p, node(p, *it), &pb->steps[pb->nsteps++]);
	}
	if (!pb->nsteps)
		err_at(p, v[4], "a playbook needs at least one step");
	/* Each repeated id once, against its first use. */
	for (i = 0; i < pb->nsteps; i++)
		for (j = 0; j < i; j++)
			if (pb->steps[i].id && pb->steps[j].id &&
			    !strcmp(pb->steps[i].id, pb->steps[j].id)) {
				err_at(
				    p,
				    node(p, v[4]->data.sequence.items.start[i]),
				    "duplicate step id '%s' (S%zu and "
				    "S%zu)",
				    pb->steps[i].id, j + 1, i + 1);
				break;
			}
}

/* Counts a reference to node i; a second one is an alias. */
static void refer(struct parse *p, unsigned char *refs, int i)
{
	if (refs[i] == 1)
		err_at(p, node(p, i),
		       "this value is repeated by an alias (*): playbooks do "
		       "not use YAML anchors and aliases");
	if (refs[i] < 2)
		refs[i]++;
}

/*
 * Reports every node reached twice. An alias repeats a node without
 * copying it, so a file of a few KiB could stand for millions of steps
 * (gigabytes once parsed, hours of duplicate checks). Returns whether
 * there was one.
 */
static bool aliased(struct parse *p)
{
	size_t n = (size_t)(p->doc.nodes.top - p->doc.nodes.start);
	unsigned char *refs = xcalloc(n + 1, 1);
	yaml_node_pair_t *pair;
	yaml_node_item_t *it;
	yaml_node_t *m;
	int before = p->nerrors;

	refs[1] = 1; /* the root */
	for (m = p->doc.nodes.start; m < p->doc.nodes.top; m++) {
		if (m->type == YAML_MAPPING_NODE) {
			for (pair = m->data.mapping.pairs.start;
			     pair < m->data.mapping.pairs.top; pair++) {
				refer(p, refs, pair->key);
				refer(p, refs, pair->value);
			}
		} else if (m->type == YAML_SEQUENCE_NODE) {
			for (it = m->data.sequence.items.start;
			     it < m->data.sequence.items.top; it++)
				refer(p, refs, *it);
		}
	}
	free(refs);
	return p->nerrors > before;
}

/* libyaml's syntax error, located: the reader (bad UTF-8, control
 * characters) reports a byte offset rather than a mark. */
static void syntax_error(struct parse *p, const yaml_parser_t *parser,
			 const char *data, size_t len)
{
	size_t line = parser->problem_mark.line + 1;
	size_t col = parser->problem_mark.column + 1, i;

	if (parser->error == YAML_READER_ERROR) {
		line = col = 1;
		for (i = 0; i < parser->problem_offset && i < len; i++) {
			if (data[i] == '\n') {
				line++;
				col = 1;
			} else if (((unsigned char)data[i] & 0xc0) != 0x80) {
				col++; /* characters, as marks count */
			}
		}
	}
	p->nerrors++;
	buf_addf(p->errors, "%s:%zu:%zu: %s%s%s\n", p->file, line, col,
		 parser->problem ? parser->problem : "invalid YAML",
		 parser->context ? " " : "",
		 parser->context ? parser->context : "");
}

int playbook_parse(const char *file, const char *data, size_t len,
		   struct playbook *pb, struct buf *errors)
{
	struct parse p = {.file = file, .errors = errors};
	yaml_parser_t parser;
	yaml_document_t next;
	yaml_node_t *root;
	int ok;

	memset(pb, 0, sizeof(*pb));
	if (len > PLAYBOOK_MAX_BYTES) {
		buf_addf(errors, "%s: %zu bytes: a playbook is at most %u\n",
			 file, len, PLAYBOOK_MAX_BYTES);
		return SCRIBE_EINVAL;
	}
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
	ok = yaml_parser_load(&parser, &p.doc);
	if (!ok) {
		syntax_error(&p, &parser, data, len);
		yaml_parser_delete(&parser);
		return SCRIBE_EINVAL;
	}
	root = yaml_document_get_root_node(&p.doc);
	if (!root)
		buf_addf(errors, "%s:1:1: the file is empty\n", file);
	else if (!aliased(&p))
		parse_root(&p, root, pb);
	if (!root)
		p.nerrors++;
	/* One playbook per file: a second document would be ignored. */
	if (root && !yaml_parser_load(&parser, &next)) {
		syntax_error(&p, &parser, data, len);
	} else if (root) {
		if (yaml_document_get_root_node(&next))
			err_at(&p, yaml_document_get_root_node(&next),
			       "a second document: a file holds one playbook");
		yaml_document_delete(&next);
	}
	if (p.nerrors > MAX_ERRORS)
		buf_addf(errors, "%s: %d more errors\n", file,
			 p.nerrors - MAX_ERRORS);
	yaml_document_delete(&p.doc);
	yaml_parser_delete(&parser);
	if (p.nerrors) {
		playbook_release(pb);
		return SCRIBE_EINVAL;
	}
	pb->file = xstrdup(file);
	return 0;
}

void playbook_release(struct playbook *pb)
{
	size_t i, j;

	free(pb->id);
	free(pb->title);
	free(pb->description);
	free(pb->file);
	for (i = 0; i < pb->nkeywords; i++)
		free(pb->keywords[i]);
	free(pb->keywords);
	free(pb->severities);
	for (i = 0; i < pb->nsteps; i++) {
		struct pb_step *s = &pb->steps[i];

		free(s->id);
		free(s->title);
		free(s->instructions);
		free(s->skip_when);
		for (j = 0; j < s->ncmds; j++) {
			free(s->cmds[j].flavor);
			free(s->cmds[j].label);
			free(s->cmds[j].run);
		}
		free(s->cmds);
	}
	free(pb->steps);
	memset(pb, 0, sizeof(*pb));
}

/* ---- the library ------------------------------------------------------- */

void pb_library_init(struct pb_library *lib)
{
	memset(lib, 0, sizeof(*lib));
}

const struct playbook *pb_library_find(const struct pb_library *lib,
				       const char *id)
{
	size_t i;

	for (i = 0; i < lib->n; i++)
		if (!strcmp(lib->books[i].id, id))
			return &lib->books[i];
	return NULL;
}

int pb_library_add(struct pb_library *lib, struct playbook *pb)
{
	if (pb_library_find(lib, pb->id)) {
		playbook_release(pb);
		return SCRIBE_EDUP;
	}
	ALLOC_GROW(lib->books, lib->n + 1, lib->cap);
	lib->books[lib->n++] = *pb;
	memset(pb, 0, sizeof(*pb));
	return 0;
}

static int cmp_books(const void *a, const void *b)
{
	return strcmp(((const struct playbook *)a)->id,
		      ((const struct playbook *)b)->id);
}

static int cmp_keys(const void *a, const void *b)
{
	const struct pb_key *x = a, *y = b;
	int c = strcmp(x->first, y->first);

	if (c)
		return c;
	return x->book != y->book ? (x->book < y->book ? -1 : 1)
				  : (x->keyword < y->keyword ? -1 : 1);
}

/*
 * The bytes of the separator at s, or 0 when a word character starts
 * there. Words are ASCII letters and digits and every UTF-8 sequence, so
 * that words in any script match as wholes, except the spaces and
 * punctuation that keyboards put between words: U+00A0 (no-break space),
 * U+00A1, U+00AB, U+00B7, U+00BB, U+00BF, U+2000-U+206F (spaces, dashes,
 * curly quotes, the ellipsis) and U+3000-U+303F (CJK spaces and
 * punctuation). Without them, “deadlock” typed with smart quotes would
 * never match.
 */
static size_t sep_len(const unsigned char *s)
{
	if (s[0] < 0x80) /* isalnum() of the C locale, without the call */
		return (unsigned)((s[0] | 0x20) - 'a') < 26 ||
			       (unsigned)(s[0] - '0') < 10
			   ? 0
			   : 1;
	if (s[0] == 0xc2)
		return s[1] == 0xa0 || s[1] == 0xa1 || s[1] == 0xab ||
			       s[1] == 0xb7 || s[1] == 0xbb || s[1] == 0xbf
			   ? 2
			   : 0;
	if ((s[0] == 0xe2 && (s[1] == 0x80 || s[1] == 0x81)) ||
	    (s[0] == 0xe3 && s[1] == 0x80))
		return s[2] >= 0x80 && s[2] <= 0xbf &&
			       !(s[1] == 0x81 && s[2] > 0xaf)
			   ? 3
			   : 0;
	return 0;
}

/* Splits s into lowercase words, NUL-separated, in a fresh string. */
static char *split_words(const char *s, size_t *nwords)
{
	char *out = xmalloc(strlen(s) + 1), *o = out;
	const unsigned char *p = (const unsigned char *)s;
	size_t k;

	*nwords = 0;
	while (*p) {
		while (*p && (k = sep_len(p)))
			p += k;
		if (!*p)
			break;
		while (*p && !sep_len(p))
			*o++ = (char)tolower(*p++);
		*o++ = '\0';
		(*nwords)++;
	}
	return out;
}

/* A word too short and common to mean a playbook on its own in chatter:
 * ASCII letters, at most PB_WEAK_MAX of them ("db", "sql", "dns"). */
static bool weak_word(const char *w)
{
	size_t n = strlen(w), i;

	for (i = 0; i < n; i++)
		if ((unsigned)((w[i] | 0x20) - 'a') >= 26)
			return false;
	return n <= PB_WEAK_MAX;
}

void pb_library_finish(struct pb_library *lib)
{
	size_t i, k, cap = 0;

	/* qsort's pointer must not be NULL, even for no elements. */
	if (lib->n)
		qsort(lib->books, lib->n, sizeof(*lib->books), cmp_books);
	for (i = 0; i < lib->nkeys; i++)
		free(lib->keys[i].words);
	free(lib->keys);
	lib->keys = NULL;
	lib->nkeys = 0;
	for (i = 0; i < lib->n; i++) {
		for (k = 0; k < lib->books[i].nkeywords; k++) {
			struct pb_key key = {.book = i, .keyword = k};

			key.words =
			    split_words(lib->books[i].keywords[k], &key.nwords);
			if (!key.nwords) {
				free(key.words);
				continue;
			}
			key.first = key.words;
			key.weak = key.nwords == 1 && weak_word(key.words);
			ALLOC_GROW(lib->keys, lib->nkeys + 1, cap);
			lib->keys[lib->nkeys++] = key;
		}
	}
	if (lib->nkeys)
		qsort(lib->keys, lib->nkeys, sizeof(*lib->keys), cmp_keys);
}

void pb_library_release(struct pb_library *lib)
{
	size_t i;

	for (i = 0; i < lib->n; i++)
		playbook_release(&lib->books[i]);
	for (i = 0; i < lib->nkeys; i++)
		free(lib->keys[i].words);
	free(lib->books);
	free(lib->keys);
	memset(lib, 0, sizeof(*lib));
}

/* ---- matching ---------------------------------------------------------- */

#define WORD_MAX 64

/* Reads the word at *p (lowercased into w) and moves *p past it. Returns
 * false at the end of text. Words longer than WORD_MAX never match. */
static bool next_word(const unsigned char **p, char *w, size_t *len)
{
	const unsigned char *s = *p;
	size_t n = 0, k;

	while (*s && (k = sep_len(s)))
		s += k;
	if (!*s) {
		*p = s;
		return false;
	}
	while (*s && !sep_len(s)) {
		if (n < WORD_MAX)
			w[n] = (char)tolower(*s);
		n++;
		s++;
	}
	*len = n;
	w[n < WORD_MAX ? n : WORD_MAX] = '\0';
	*p = s;
	return true;
}

/* The first index entry whose first word is w, or nkeys. */
static size_t lower_bound(const struct pb_library *lib, const char *w)
{
	size_t lo = 0, hi = lib->nkeys;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(lib->keys[mid].first, w) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Whether the words after the first of key follow at p in the text. */
static bool rest_matches(const struct pb_key *key, const unsigned char *p)
{
	const char *kw = key->words + strlen(key->words) + 1;
	char w[WORD_MAX + 1];
	size_t i, len;

	for (i = 1; i < key->nwords; i++) {
		if (!next_word(&p, w, &len) || len > WORD_MAX || strcmp(w, kw))
			return false;
		kw += strlen(kw) + 1;
	}
	return true;
}

/*
 * Calls hit(ud, key) for every keyword occurrence in text; stops when it
 * returns true.
 */
static void scan(const struct pb_library *lib, const char *text,
		 bool (*hit)(void *ud, const struct pb_key *key), void *ud)
{
	const unsigned char *p = (const unsigned char *)text;
	char w[WORD_MAX + 1];
	size_t len, k;

	if (!lib->nkeys)
		return;
	while (next_word(&p, w, &len)) {
		if (len > WORD_MAX)
			continue;
		for (k = lower_bound(lib, w);
		     k < lib->nkeys && !strcmp(lib->keys[k].first, w); k++)
			if (rest_matches(&lib->keys[k], p) &&
			    hit(ud, &lib->keys[k]))
				return;
	}
}

struct any {
	const struct pb_library *lib;
	bool (*accept)(void *ud, const struct playbook *pb);
	void *ud;
	bool found;
};

static bool any_hit(void *ud, const struct pb_key *key)
{
	struct any *a = ud;

	if (a->accept && !a->accept(a->ud, &a->lib->books[key->book]))
		return false; /* keep looking */
	a->found = true;
	return true;
}

bool pb_library_any_where(const struct pb_library *lib, const char *text,
			  bool (*accept)(void *ud, const struct playbook *pb),
			  void *ud)
{
	struct any a = {.lib = lib, .accept = accept, .ud = ud};

	scan(lib, text, any_hit, &a);
	return a.found;
}

bool pb_library_any(const struct pb_library *lib, const char *text)
{
	return pb_library_any_where(lib, text, NULL, NULL);
}

struct tally {
	const struct pb_library *lib;
	int *score, *strong;
	const char **first, **second;
	unsigned char *seen; /* per key: counted once */
};

static bool count_hit(void *ud, const struct pb_key *key)
{
	struct tally *t = ud;
	size_t k = (size_t)(key - t->lib->keys), b = key->book;
	const char *kw = t->lib->books[b].keywords[key->keyword];

	if (!t->seen[k]) {
		t->seen[k] = 1;
		t->score[b]++;
		t->strong[b] += !key->weak;
		if (!t->first[b])
			t->first[b] = kw;
		else if (!t->second[b])
			t->second[b] = kw;
	}
	return false;
}

static int cmp_matches(const void *a, const void *b)
{
	const struct pb_match *x = a, *y = b;

	if (x->score != y->score)
		return y->score - x->score;
	if (!x->keyword != !y->keyword)
		return x->keyword ? -1 : 1;
	return strcmp(x->pb->id, y->pb->id);
}

static size_t match(const struct pb_library *lib, const char *text,
		    int severity, bool chatter, struct pb_match *out,
		    size_t max)
{
	struct tally t = {.lib = lib};
	struct pb_match *all;
	size_t i, j, n = 0;

	if (!lib->n)
		return 0;
	t.score = xcalloc(lib->n, sizeof(*t.score));
	t.strong = xcalloc(lib->n, sizeof(*t.strong));
	t.first = xcalloc(lib->n, sizeof(*t.first));
	t.second = xcalloc(lib->n, sizeof(*t.second));
	t.seen = xcalloc(lib->nkeys ? lib->nkeys : 1, 1);
	scan(lib, text, count_hit, &t);
	all = xcalloc(lib->n, sizeof(*all));
	for (i = 0; i < lib->n; i++) {
		int s = t.score[i];

		/* "db password is hunter2": a weak word alone is chatter. */
		if (chatter && !t.strong[i] && s < 2)
			continue;

		for (j = 0; severity > 0 && j < lib->books[i].nseverities; j++)
			if (lib->books[i].severities[j] == severity) {
				s++; /* once, even when listed twice */
				break;
			}
		if (!s)
			continue;
		all[n].pb = &lib->books[i];
		all[n].score = s;
		all[n].keyword = t.first[i];
		all[n].also = t.second[i];
		n++;
	}
	qsort(all, n, sizeof(*all), cmp_matches);
	if (max)
		memcpy(out, all, (n < max ? n : max) * sizeof(*out));
	free(all);
	free(t.score);
	free(t.strong);
	free(t.first);
	free(t.second);
	free(t.seen);
	return n;
}

size_t pb_library_match(const struct pb_library *lib, const char *text,
			int severity, struct pb_match *out, size_t max)
{
	return match(lib, text, severity, false, out, max);
}

size_t pb_library_match_chatter(const struct pb_library *lib, const char *text,
				struct pb_match *out, size_t max)
{
	return match(lib, text, 0, true, out, max);
}
