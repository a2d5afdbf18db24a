/* TZ=UTC */
/*
 * test_playbook.c - playbooks: the parser (every key, JSON, and every bad
 * input located to its line and column), the library and its folder, the
 * keyword matcher, and the engine (`!inc playbook list|start|show`, `step
 * done|skip`, suggestions at declare and on messages) driven through
 * core_parse()/core_run() as app.c drives it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/base.h"
#include "util/buf.h"
#include "config.h"
#include "core/playbook.h"
#include "core/core.h"
#include "core/model.h"
#include "playbooks.h"

#define MIN ((int64_t)60 * 1000)
/* 2026-11-24 14:00:00 UTC: the incident is declared then. */
#define T0 ((int64_t)1795528800 * 1000)

static struct config cfg;
static const struct playbook zero_pb;

static const struct user alice = {(char *)"alice", (char *)"alice"};
static const struct user bob = {(char *)"bob", (char *)"bob"};

/* ---- parsing helpers ---------------------------------------------------- */

/* Parses data (len bytes) as "t.yaml"; the caller releases pb. */
static void parse_ok_len(const char *data, size_t len, struct playbook *pb)
{
	struct buf errors;
	int rc;

	buf_init(&errors, BUF_UNBOUNDED);
	rc = playbook_parse("t.yaml", data, len, pb, &errors);
	if (rc)
		fail_msg("refused (%d):\n%s", rc, errors.len ? errors.s : "");
	assert_int_equal(errors.len, 0);
	buf_release(&errors);
}

static void parse_ok(const char *yaml, struct playbook *pb)
{
	parse_ok_len(yaml, strlen(yaml), pb);
}

/* data is refused with exactly want (every error, one per line), and the
 * playbook is left empty. */
static void parse_err_len(const char *data, size_t len, const char *want)
{
	struct playbook pb;
	struct buf errors;
	int rc;

	buf_init(&errors, BUF_UNBOUNDED);
	memset(&pb, 0x5a, sizeof(pb)); /* parse must clear it */
	rc = playbook_parse("t.yaml", data, len, &pb, &errors);
	if (rc != SCRIBE_EINVAL)
		fail_msg("accepted (%d): %.60s", rc, data);
	if (strcmp(errors.len ? errors.s : "", want)) {
		print_message("input:\n%s\n", data);
		fail_msg("errors:\n%s\nwanted:\n%s", errors.len ? errors.s : "",
			 want);
	}
	assert_memory_equal(&pb, &zero_pb, sizeof(pb));
	buf_release(&errors);
}

static void parse_err(const char *yaml, const char *want)
{
	parse_err_len(yaml, strlen(yaml), want);
}

/* The smallest valid steps list, for inputs about something else. */
#define STEPS "steps: [{id: a, title: b, instructions: c}]\n"

/* ---- parsing: valid input ----------------------------------------------- */

static const char full_yaml[] =
    "# Every key of the format.\n"
    "id: db-deadlock\n"
    "title: Database deadlock check\n"
    "description: |\n"
    "  Find the blocker\n"
    "  before scaling.\n"
    "triggers:\n"
    "  keywords: [Deadlock, \"lock wait\", \"Connection  Timeouts\"]\n"
    "  severities: [1, \"2\"]\n"
    "steps:\n"
    "  - id: recent-changes\n"
    "    title: What changed?\n"
    "    instructions: |\n"
    "      List deploys and **migrations**.\n"
    "    evidence: required\n"
    "    skip_when: Nothing was deployed.\n"
    "    commands:\n"
    "      - flavor: postgresql\n"
    "        label: Recent DDL\n"
    "        run: |\n"
    "          SELECT pid, query FROM pg_stat_activity;\n"
    "      - flavor: mysql\n"
    "        run: SHOW PROCESSLIST;\n"
    "      - flavor: mariadb\n"
    "        label: InnoDB\n"
    "        run: SELECT * FROM information_schema.INNODB_TRX;\n"
    "      - flavor: shell\n"
    "        run: uptime\n"
    "  - id: s2\n"
    "    title: \"Decide: end it or roll back\"\n"
    "    instructions: Decide with the commander.\n"
    "    evidence: optional\n";

static void test_parse_full(void **state)
{
	struct playbook pb;
	const struct pb_step *s;

	parse_ok(full_yaml, &pb);
	assert_string_equal(pb.id, "db-deadlock");
	assert_string_equal(pb.title, "Database deadlock check");
	assert_string_equal(pb.description,
			    "Find the blocker\nbefore scaling.\n");
	assert_string_equal(pb.file, "t.yaml");
	assert_int_equal(pb.nkeywords, 3);
	assert_string_equal(pb.keywords[0], "deadlock"); /* lowercased */
	assert_string_equal(pb.keywords[1], "lock wait");
	assert_string_equal(pb.keywords[2], "connection  timeouts");
	assert_int_equal(pb.nseverities, 2);
	assert_int_equal(pb.severities[0], 1);
	assert_int_equal(pb.severities[1], 2);
	assert_int_equal(pb.nsteps, 2);

	s = &pb.steps[0];
	assert_string_equal(s->id, "recent-changes");
	assert_string_equal(s->title, "What changed?");
	assert_string_equal(s->instructions,
			    "List deploys and **migrations**.\n");
	assert_true(s->evidence);
	assert_string_equal(s->skip_when, "Nothing was deployed.");
	assert_int_equal(s->ncmds, 4);
	assert_string_equal(s->cmds[0].flavor, "postgresql");
	assert_string_equal(s->cmds[0].label, "Recent DDL");
	assert_string_equal(s->cmds[0].run,
			    "SELECT pid, query FROM pg_stat_activity;\n");
	assert_string_equal(s->cmds[1].flavor, "mysql");
	assert_null(s->cmds[1].label);
	assert_string_equal(s->cmds[1].run, "SHOW PROCESSLIST;");
	assert_string_equal(s->cmds[2].flavor, "mariadb");
	assert_string_equal(s->cmds[2].label, "InnoDB");
	assert_string_equal(s->cmds[3].flavor, "shell");
	assert_string_equal(s->cmds[3].run, "uptime");

	s = &pb.steps[1];
	assert_string_equal(s->id, "s2");
	assert_string_equal(s->title, "Decide: end it or roll back");
	assert_string_equal(s->instructions, "Decide with the commander.");
	assert_false(s->evidence);
	assert_null(s->skip_when);
	assert_int_equal(s->ncmds, 0);
	assert_null(s->cmds);

	playbook_release(&pb);
	assert_memory_equal(&pb, &zero_pb, sizeof(pb));
	playbook_release(&pb); /* twice is harmless */
}

static void test_parse_minimal(void **state)
{
	struct playbook pb;

	parse_ok("id: x\ntitle: y\n" STEPS, &pb);
	assert_string_equal(pb.id, "x");
	assert_null(pb.description);
	assert_int_equal(pb.nkeywords, 0);
	assert_null(pb.keywords);
	assert_int_equal(pb.nseverities, 0);
	assert_int_equal(pb.nsteps, 1);
	assert_false(pb.steps[0].evidence);
	playbook_release(&pb);

	/* Empty trigger lists, a 64-byte id and keyword, severities 1
	 * and 9, UTF-8 text. */
	parse_ok("id: "
		 "a123456789012345678901234567890123456789012345678901234567890"
		 "123\n"
		 "title: Ошибка базы — café\n"
		 "triggers: {keywords: [], severities: [1, 9]}\n"
		 "steps: [{id: a-1, title: b, instructions: c}]\n",
		 &pb);
	assert_int_equal(strlen(pb.id), 64);
	assert_string_equal(pb.title, "Ошибка базы — café");
	assert_int_equal(pb.nkeywords, 0);
	assert_int_equal(pb.severities[1], 9);
	playbook_release(&pb);
}

static void test_parse_json(void **state)
{
	static const char json[] =
	    "{\n"
	    "\t\"id\": \"web-errors\",\n"
	    "\t\"title\": \"Web errors\",\n"
	    "\t\"description\": \"After a deploy.\\nRoll back first.\",\n"
	    "\t\"triggers\": {\"keywords\": [\"5xx\", \"Error Rate\"],\n"
	    "\t\t\"severities\": [2, 3]},\n"
	    "\t\"steps\": [\n"
	    "\t\t{\"id\": \"deploys\", \"title\": \"Deploys\",\n"
	    "\t\t \"instructions\": \"List them.\", \"evidence\": "
	    "\"required\",\n"
	    "\t\t \"skip_when\": \"No deploy.\",\n"
	    "\t\t \"commands\": [{\"flavor\": \"shell\", \"label\": \"Log\",\n"
	    "\t\t\t\"run\": \"git log -5\"}]},\n"
	    "\t\t{\"id\": \"rollback\", \"title\": \"Roll back\",\n"
	    "\t\t \"instructions\": \"Roll back.\"}\n"
	    "\t]\n"
	    "}\n";
	struct playbook pb;

	parse_ok(json, &pb);
	assert_string_equal(pb.id, "web-errors");
	assert_string_equal(pb.description,
			    "After a deploy.\nRoll back first.");
	assert_int_equal(pb.nkeywords, 2);
	assert_string_equal(pb.keywords[1], "error rate");
	assert_int_equal(pb.severities[1], 3);
	assert_int_equal(pb.nsteps, 2);
	assert_true(pb.steps[0].evidence);
	assert_string_equal(pb.steps[0].skip_when, "No deploy.");
	assert_string_equal(pb.steps[0].cmds[0].run, "git log -5");
	assert_string_equal(pb.steps[1].id, "rollback");
	playbook_release(&pb);

	/* JSON's own errors are located too. */
	parse_err("{\"id\": \"x\", \"title\": \"y\",\n \"stepz\": []}\n",
		  "t.yaml:2:2: unknown key 'stepz' in a playbook (did you mean "
		  "'steps'?)\n"
		  "t.yaml:1:1: a playbook needs 'steps'\n");
	parse_err("{\"id\": \"x\",\n \"title\": \"y\" \"steps\": []}\n",
		  "t.yaml:2:15: did not find expected ',' or '}' while "
		  "parsing a flow mapping\n");
}

/* ---- parsing: bad input ---------------------------------------------------
 */

static void test_parse_malformed(void **state)
{
	parse_err("id: x\ntitle: [unclosed\n",
		  "t.yaml:3:1: did not find expected ',' or ']' while "
		  "parsing a flow sequence\n");
	parse_err("id: x\n  title: y\n",
		  "t.yaml:2:8: mapping values are not allowed in this "
		  "context\n");
	parse_err("id: x\nsteps:\n\t- id: a\n",
		  "t.yaml:3:1: found character that cannot start any token "
		  "while scanning for the next token\n");
	parse_err("id: \"x\ntitle: y\n",
		  "t.yaml:3:1: found unexpected end of stream while scanning "
		  "a quoted scalar\n");
	/* The reader's errors carry a byte offset: located all the same,
	 * in characters like every other column. */
	parse_err("id: x\ntitle: caf\xc3\xa9 \xc3\xa9\xc3\xa9\xff\n" STEPS,
		  "t.yaml:2:15: invalid leading UTF-8 octet\n");
	parse_err("id: x\ntitle: \x01\n" STEPS,
		  "t.yaml:2:8: control characters are not allowed\n");
	/* Nothing, or only comments. */
	parse_err("", "t.yaml:1:1: the file is empty\n");
	parse_err("# nothing here\n\n", "t.yaml:1:1: the file is empty\n");
	/* Not a mapping. */
	parse_err("- a\n- b\n", "t.yaml:1:1: a playbook must be a mapping\n");
	parse_err("hello\n", "t.yaml:1:1: a playbook must be a mapping\n");
	/* One playbook per file: a second document is not ignored. */
	parse_err("id: x\ntitle: y\n" STEPS "---\nid: z\n",
		  "t.yaml:5:1: a second document: a file holds one "
		  "playbook\n");
	parse_err("id: x\ntitle: y\n" STEPS "---\n[oops\n",
		  "t.yaml:6:1: did not find expected ',' or ']' while "
		  "parsing a flow sequence\n");
}

static void test_parse_unknown_keys(void **state)
{
	/* Each level, with the nearest valid key. */
	parse_err("id: x\ntitel: y\n" STEPS,
		  "t.yaml:2:1: unknown key 'titel' in a playbook (did you "
		  "mean 'title'?)\n"
		  "t.yaml:1:1: a playbook needs 'title'\n");
	parse_err("id: x\ntitle: y\ndescripton: z\n" STEPS,
		  "t.yaml:3:1: unknown key 'descripton' in a playbook (did "
		  "you mean 'description'?)\n");
	parse_err("id: x\ntitle: y\ntrigger:\n  keywords: [a]\n" STEPS,
		  "t.yaml:3:1: unknown key 'trigger' in a playbook (did you "
		  "mean 'triggers'?)\n");
	parse_err("id: x\ntitle: y\ntriggers:\n  keyword: [a]\n"
		  "  severity: [1]\n" STEPS,
		  "t.yaml:4:3: unknown key 'keyword' in triggers (did you "
		  "mean 'keywords'?)\n"
		  "t.yaml:5:3: unknown key 'severity' in triggers (did you "
		  "mean 'severities'?)\n");
	parse_err("id: x\ntitle: y\nsteps:\n"
		  "  - id: a\n"
		  "    title: b\n"
		  "    instructions: c\n"
		  "    evidnce: required\n"
		  "    skip-when: never\n",
		  "t.yaml:7:5: unknown key 'evidnce' in a step (did you mean "
		  "'evidence'?)\n"
		  "t.yaml:8:5: unknown key 'skip-when' in a step (did you "
		  "mean 'skip_when'?)\n");
	parse_err("id: x\ntitle: y\nsteps:\n"
		  "  - id: a\n"
		  "    title: b\n"
		  "    instructions: c\n"
		  "    commands:\n"
		  "      - flavour: postgresql\n"
		  "        labl: x\n"
		  "        run: SELECT 1;\n",
		  "t.yaml:8:9: unknown key 'flavour' in a command (did you "
		  "mean 'flavor'?)\n"
		  "t.yaml:9:9: unknown key 'labl' in a command (did you mean "
		  "'label'?)\n"
		  "t.yaml:8:9: a command needs 'flavor'\n");
	/* Too far from every key: no guess. */
	parse_err("id: x\ntitle: y\nowner: team-db\n" STEPS,
		  "t.yaml:3:1: unknown key 'owner' in a playbook\n");
	/* A key that is not a string. */
	parse_err("id: x\ntitle: y\n[a]: b\n" STEPS,
		  "t.yaml:3:1: keys must be strings\n");
}

static void test_parse_duplicates(void **state)
{
	parse_err("id: x\nid: y\ntitle: t\ntitle: u\n" STEPS,
		  "t.yaml:2:1: duplicate key 'id' (first on line 1)\n"
		  "t.yaml:4:1: duplicate key 'title' (first on line 3)\n");
	/* "first on line" is the key's line, not its value's. */
	parse_err("id: x\n"
		  "triggers:\n"
		  "  keywords: [a]\n"
		  "  keywords: [b]\n"
		  "triggers:\n"
		  "  severities: [1]\n"
		  "title: y\n"
		  "steps:\n"
		  "  - id: a\n"
		  "    title: b\n"
		  "    instructions:\n"
		  "      c\n"
		  "    instructions: d\n"
		  "    commands:\n"
		  "      - {flavor: shell, run: a, run: b}\n",
		  "t.yaml:5:1: duplicate key 'triggers' (first on line 2)\n"
		  "t.yaml:4:3: duplicate key 'keywords' (first on line 3)\n"
		  "t.yaml:13:5: duplicate key 'instructions' (first on line "
		  "11)\n"
		  "t.yaml:15:33: duplicate key 'run' (first on line 15)\n");
	/* Duplicate step ids: each repeat once, against the first. */
	parse_err("id: x\ntitle: y\nsteps:\n"
		  "  - {id: a, title: b, instructions: c}\n"
		  "  - {id: b, title: b, instructions: c}\n"
		  "  - {id: a, title: b, instructions: c}\n"
		  "  - {id: a, title: b, instructions: c}\n"
		  "  - {id: b, title: b, instructions: c}\n",
		  "t.yaml:6:5: duplicate step id 'a' (S1 and S3)\n"
		  "t.yaml:7:5: duplicate step id 'a' (S1 and S4)\n"
		  "t.yaml:8:5: duplicate step id 'b' (S2 and S5)\n");
}

static void test_parse_missing(void **state)
{
	parse_err("description: d\n", "t.yaml:1:1: a playbook needs 'id'\n"
				      "t.yaml:1:1: a playbook needs 'title'\n"
				      "t.yaml:1:1: a playbook needs 'steps'\n");
	parse_err("id: x\ntitle: y\nsteps: []\n",
		  "t.yaml:3:8: a playbook needs at least one step\n");
	parse_err("id: x\ntitle: y\nsteps:\n  - title: b\n",
		  "t.yaml:4:5: a step needs 'id'\n"
		  "t.yaml:4:5: a step needs 'instructions'\n");
	parse_err("id: x\ntitle: y\nsteps:\n"
		  "  - id: a\n"
		  "    title: b\n"
		  "    instructions: c\n"
		  "    commands:\n"
		  "      - label: only a label\n",
		  "t.yaml:8:9: a command needs 'flavor'\n"
		  "t.yaml:8:9: a command needs 'run'\n");
}

static void test_parse_types(void **state)
{
	/* A list or a mapping where a string goes; null; empty. */
	parse_err("id: x\ntitle: [a, b]\ndescription: {a: 1}\n" STEPS,
		  "t.yaml:2:8: 'title' must be a string\n"
		  "t.yaml:3:14: 'description' must be a string\n");
	parse_err("id: x\ntitle: null\ndescription: ~\n" STEPS,
		  "t.yaml:2:8: 'title' must be a string\n"
		  "t.yaml:3:14: 'description' must be a string\n");
	parse_err("id: \"\"\ntitle: ''\n"
		  "steps:\n  - {id: a, title: b, instructions: \"\"}\n",
		  "t.yaml:1:5: 'id' must not be empty\n"
		  "t.yaml:2:8: 'title' must not be empty\n"
		  "t.yaml:4:37: 'instructions' must not be empty\n");
	/* A quoted "null" is a string. */
	{
		struct playbook pb;

		parse_ok("id: x\ntitle: \"null\"\n" STEPS, &pb);
		assert_string_equal(pb.title, "null");
		playbook_release(&pb);
	}
	/* A string or a list where a mapping or a list goes. */
	parse_err("id: x\ntitle: y\nsteps: x\n",
		  "t.yaml:3:8: 'steps' must be a list\n");
	parse_err("id: x\ntitle: y\nsteps:\n",
		  "t.yaml:3:7: 'steps' must be a list\n");
	parse_err("id: x\ntitle: y\ntriggers: [deadlock]\n" STEPS,
		  "t.yaml:3:11: triggers must be a mapping\n");
	parse_err("id: x\ntitle: y\n"
		  "triggers: {keywords: deadlock, severities: 1}\n" STEPS,
		  "t.yaml:3:22: 'keywords' must be a list\n"
		  "t.yaml:3:44: 'severities' must be a list\n");
	parse_err(
	    "id: x\ntitle: y\ntriggers:\n  keywords: [[a], {b: c}]\n" STEPS,
	    "t.yaml:4:14: 'keywords' must be a string\n"
	    "t.yaml:4:19: 'keywords' must be a string\n");
	parse_err("id: x\ntitle: y\nsteps:\n  - just text\n  - [a]\n",
		  "t.yaml:4:5: a step must be a mapping\n"
		  "t.yaml:5:5: a step must be a mapping\n");
	parse_err("id: x\ntitle: y\nsteps:\n"
		  "  - id: a\n"
		  "    title: b\n"
		  "    instructions: c\n"
		  "    commands: SELECT 1;\n",
		  "t.yaml:7:15: 'commands' must be a list\n");
	parse_err("id: x\ntitle: y\nsteps:\n"
		  "  - id: a\n"
		  "    title: b\n"
		  "    instructions: c\n"
		  "    commands:\n"
		  "      - SELECT 1;\n"
		  "      - {flavor: shell, label: [l], run: {a: b}}\n",
		  "t.yaml:8:9: a command must be a mapping\n"
		  "t.yaml:9:32: 'label' must be a string\n"
		  "t.yaml:9:42: 'run' must be a string\n");
}

static void test_parse_ids(void **state)
{
	char *yaml = xasprintf("id: Db-Deadlock\ntitle: y\nsteps:\n"
			       "  - {id: x-, title: b, instructions: c}\n"
			       "  - {id: \"-x\", title: b, instructions: c}\n"
			       "  - {id: a_b, title: b, instructions: c}\n"
			       "  - {id: a b, title: b, instructions: c}\n"
			       "  - {id: %s, title: b, instructions: c}\n"
			       "  - {id: [a], title: b, instructions: c}\n",
			       "a1234567890123456789012345678901234567890123456"
			       "789012345678901234");

	parse_err(yaml,
		  "t.yaml:1:5: 'id' must be lowercase letters, digits and "
		  "hyphens (at most 64)\n"
		  "t.yaml:4:10: 'id' must be lowercase letters, digits and "
		  "hyphens (at most 64)\n"
		  "t.yaml:5:10: 'id' must be lowercase letters, digits and "
		  "hyphens (at most 64)\n"
		  "t.yaml:6:10: 'id' must be lowercase letters, digits and "
		  "hyphens (at most 64)\n"
		  "t.yaml:7:10: 'id' must be lowercase letters, digits and "
		  "hyphens (at most 64)\n"
		  "t.yaml:8:10: 'id' must be lowercase letters, digits and "
		  "hyphens (at most 64)\n"
		  "t.yaml:9:10: 'id' must be a string\n");
	free(yaml);
}

static void test_parse_flavor_severity_evidence(void **state)
{
	parse_err("id: x\ntitle: y\nsteps:\n"
		  "  - id: a\n"
		  "    title: b\n"
		  "    instructions: c\n"
		  "    commands:\n"
		  "      - {flavor: oracle, run: x}\n"
		  "      - {flavor: PostgreSQL, run: x}\n"
		  "      - {flavor: postgres, run: x}\n",
		  "t.yaml:8:18: unknown flavor 'oracle': use postgresql, "
		  "mysql, mariadb or shell\n"
		  "t.yaml:9:18: unknown flavor 'PostgreSQL': use postgresql, "
		  "mysql, mariadb or shell\n"
		  "t.yaml:10:18: unknown flavor 'postgres': use postgresql, "
		  "mysql, mariadb or shell\n");
	parse_err("id: x\ntitle: y\ntriggers:\n"
		  "  severities: [0, 10, -1, x, 1.5, [1], \"\", 9, 1]\n" STEPS,
		  "t.yaml:4:16: a severity is a number from 1 to 9\n"
		  "t.yaml:4:19: a severity is a number from 1 to 9\n"
		  "t.yaml:4:23: a severity is a number from 1 to 9\n"
		  "t.yaml:4:27: a severity is a number from 1 to 9\n"
		  "t.yaml:4:30: a severity is a number from 1 to 9\n"
		  "t.yaml:4:35: a severity is a number from 1 to 9\n"
		  "t.yaml:4:40: a severity is a number from 1 to 9\n");
	parse_err("id: x\ntitle: y\nsteps:\n"
		  "  - {id: a, title: b, instructions: c, evidence: maybe}\n"
		  "  - {id: b, title: b, instructions: c, evidence: [x]}\n"
		  "  - {id: c, title: b, instructions: c, evidence: "
		  "Required}\n"
		  "  - {id: d, title: b, instructions: c, evidence: "
		  "optional}\n",
		  "t.yaml:4:50: 'evidence' is required or optional\n"
		  "t.yaml:5:50: 'evidence' is required or optional\n"
		  "t.yaml:6:50: 'evidence' is required or optional\n");
	/* A keyword is at most 64 bytes. */
	{
		char *yaml = xasprintf(
		    "id: x\ntitle: y\ntriggers:\n  keywords: [%s, %sk]\n" STEPS,
		    "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"
		    "k"
		    "kkkkk",
		    "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"
		    "k"
		    "kkkkk");

		parse_err(yaml, "t.yaml:4:80: a keyword is at most 64 bytes\n");
		free(yaml);
	}
}

static void test_parse_nul(void **state)
{
	/* Escaped: the string holds a NUL, which C strings cannot keep. */
	parse_err("id: x\ntitle: \"a\\0b\"\n"
		  "triggers:\n  keywords: [\"dead\\0lock\"]\n"
		  "steps:\n  - {id: a, title: b, instructions: \"c\\x00\"}\n",
		  "t.yaml:2:8: 'title' must not contain a NUL character\n"
		  "t.yaml:4:14: 'keywords' must not contain a NUL character\n"
		  "t.yaml:6:37: 'instructions' must not contain a NUL "
		  "character\n");
	/* A raw NUL byte: the YAML reader refuses it, located. */
	{
		static const char raw[] = "id: x\ntitle: y\nsteps:\n"
					  "  - id: a\n"
					  "    title: \"b\0\"\n";

		parse_err_len(raw, sizeof(raw) - 1,
			      "t.yaml:5:14: control characters are not "
			      "allowed\n");
	}
}

static void test_parse_aliases(void **state)
{
	/* An alias repeats a node: refused, so that a small file cannot
	 * stand for millions of steps. */
	parse_err("id: x\ntitle: &t Title\ndescription: *t\n" STEPS,
		  "t.yaml:2:8: this value is repeated by an alias (*): "
		  "playbooks do not use YAML anchors and aliases\n");
	parse_err("id: x\ntitle: y\n"
		  "steps: [&s {id: a, title: b, instructions: c}, *s, *s, "
		  "*s]\n",
		  "t.yaml:3:9: this value is repeated by an alias (*): "
		  "playbooks do not use YAML anchors and aliases\n");
}

static void test_parse_alias_bomb(void **state)
{
	/* ~300 KB that would be 100,000 steps of 2 KB each (200 MB) and
	 * 5e9 duplicate-id comparisons: refused at once. */
	struct buf b;
	struct timespec t0, t1;
	double ms;
	int i;

	buf_init(&b, BUF_UNBOUNDED);
	buf_adds(&b, "id: x\ntitle: y\nsteps: [&s {id: a, title: b, "
		     "instructions: \"");
	for (i = 0; i < 2000; i++)
		buf_addch(&b, 'x');
	buf_adds(&b, "\"}");
	for (i = 0; i < 100000; i++)
		buf_adds(&b, ", *s");
	buf_adds(&b, "]\n");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	parse_err_len(b.s, b.len,
		      "t.yaml:3:9: this value is repeated by an alias (*): "
		      "playbooks do not use YAML anchors and aliases\n");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
	     (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	if (ms > 5000)
		fail_msg("an alias bomb took %.0f ms", ms);
	buf_release(&b);
}

static void test_parse_many_errors(void **state)
{
	/* Every error of a file is reported, in one pass, up to 50. */
	struct buf yaml, want;
	int i;

	parse_err("id: Bad_Id\n"
		  "titel: x\n"
		  "triggers:\n"
		  "  keywords: [ok, [no]]\n"
		  "  severities: [0]\n"
		  "steps:\n"
		  "  - id: s1\n"
		  "    title: t\n"
		  "    instructions: i\n"
		  "    evidence: maybe\n"
		  "    commands:\n"
		  "      - {flavor: oracle, run: x}\n"
		  "  - id: s1\n"
		  "    title: ~\n"
		  "    instructions: i\n",
		  "t.yaml:2:1: unknown key 'titel' in a playbook (did you "
		  "mean 'title'?)\n"
		  "t.yaml:1:5: 'id' must be lowercase letters, digits and "
		  "hyphens (at most 64)\n"
		  "t.yaml:1:1: a playbook needs 'title'\n"
		  "t.yaml:4:18: 'keywords' must be a string\n"
		  "t.yaml:5:16: a severity is a number from 1 to 9\n"
		  "t.yaml:10:15: 'evidence' is required or optional\n"
		  "t.yaml:12:18: unknown flavor 'oracle': use postgresql, "
		  "mysql, mariadb or shell\n"
		  "t.yaml:14:12: 'title' must be a string\n"
		  "t.yaml:13:5: duplicate step id 's1' (S1 and S2)\n");

	buf_init(&yaml, BUF_UNBOUNDED);
	buf_init(&want, BUF_UNBOUNDED);
	buf_adds(&yaml, "id: x\ntitle: y\n" STEPS);
	for (i = 0; i < 60; i++) {
		buf_addf(&yaml, "zz%d: v\n", i);
		if (i < 50)
			buf_addf(&want,
				 "t.yaml:%d:1: unknown key 'zz%d' in a "
				 "playbook\n",
				 i + 4, i);
	}
	buf_adds(&want, "t.yaml: 10 more errors\n");
	parse_err(yaml.s, want.s);
	buf_release(&yaml);
	buf_release(&want);
}

static void test_parse_appends_errors(void **state)
{
	struct playbook pb;
	struct buf errors;

	buf_init(&errors, BUF_UNBOUNDED);
	buf_adds(&errors, "before\n");
	assert_int_equal(playbook_parse("a.yml", "id: x\n", 6, &pb, &errors),
			 SCRIBE_EINVAL);
	assert_string_equal(errors.s, "before\n"
				      "a.yml:1:1: a playbook needs 'title'\n"
				      "a.yml:1:1: a playbook needs 'steps'\n");
	/* len, not the NUL, ends the input. */
	buf_reset(&errors);
	assert_int_equal(
	    playbook_parse("b.yml", "id: x\ntitle: y\n" STEPS, 6, &pb, &errors),
	    SCRIBE_EINVAL);
	assert_string_equal(errors.s, "b.yml:1:1: a playbook needs 'title'\n"
				      "b.yml:1:1: a playbook needs 'steps'\n");
	buf_release(&errors);
}

/* ---- size ---------------------------------------------------------------- */

static char *tmpdir_make(void)
{
	char *dir = xstrdup("/tmp/scribe-test-playbook-XXXXXX");

	if (!mkdtemp(dir))
		fail_msg("mkdtemp: %s", strerror(errno));
	return dir;
}

/* rm -r dir: the files this test makes, and folders of them. */
static void tmpdir_remove(char *dir)
{
	struct dirent *de;
	struct stat sb;
	char *path;
	DIR *d = opendir(dir);

	while (d && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		if (!lstat(path, &sb) && S_ISDIR(sb.st_mode))
			tmpdir_remove(xstrdup(path));
		else
			unlink(path);
		free(path);
	}
	if (d)
		closedir(d);
	rmdir(dir);
	free(dir);
}

static void write_file(const char *dir, const char *name, const char *data,
		       size_t len)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	free(path);
}

static void test_parse_size(void **state)
{
	size_t big = 10u << 20, n;
	char *data = xmalloc(big), *dir = tmpdir_make(), *path;
	const char head[] = "id: x\ntitle: y\n" STEPS;
	struct playbook pb;
	struct buf errors;

	/* Exactly 1 MiB is fine: a valid playbook padded by a comment. */
	memcpy(data, head, sizeof(head) - 1);
	n = sizeof(head) - 1;
	data[n++] = '#';
	memset(data + n, 'x', PLAYBOOK_MAX_BYTES - n - 1);
	data[PLAYBOOK_MAX_BYTES - 1] = '\n';
	parse_ok_len(data, PLAYBOOK_MAX_BYTES, &pb);
	playbook_release(&pb);
	/* One byte more is not, before any YAML is read. */
	data[PLAYBOOK_MAX_BYTES] = '\n';
	parse_err_len(data, PLAYBOOK_MAX_BYTES + 1,
		      "t.yaml: 1048577 bytes: a playbook is at most "
		      "1048576\n");

	/* A 10 MiB file is refused without being read. */
	memset(data + PLAYBOOK_MAX_BYTES, '#', big - PLAYBOOK_MAX_BYTES);
	write_file(dir, "big.yaml", data, big);
	path = xasprintf("%s/big.yaml", dir);
	buf_init(&errors, BUF_UNBOUNDED);
	memset(&pb, 0x5a, sizeof(pb));
	assert_int_equal(playbooks_read_file(path, &pb, &errors),
			 SCRIBE_EINVAL);
	assert_memory_equal(&pb, &zero_pb, sizeof(pb));
	{
		char *want = xasprintf(
		    "%s: 10485760 bytes: a playbook is at most 1 MiB\n", path);

		assert_string_equal(errors.s, want);
		free(want);
	}
	/* The lint command says the same and fails. */
	{
		char *out = NULL;
		size_t outlen = 0;
		FILE *f = open_memstream(&out, &outlen);

		assert_int_equal(playbooks_lint(1, &path, f), 1);
		fclose(f);
		assert_non_null(strstr(out, "a playbook is at most 1 MiB"));
		free(out);
	}
	buf_release(&errors);
	free(path);
	free(data);
	tmpdir_remove(dir);
}

/* ---- the library -----------------------------------------------------------
 */

/* A one-step playbook with these triggers (YAML flow lists). */
static char *mini(const char *id, const char *keywords, const char *sevs)
{
	return xasprintf(
	    "id: %s\ntitle: %s title\n"
	    "triggers:\n  keywords: %s\n  severities: %s\n"
	    "steps: [{id: s1, title: One, instructions: Do it.}]\n",
	    id, id, keywords, sevs);
}

static void add_mini(struct pb_library *lib, const char *id,
		     const char *keywords, const char *sevs)
{
	char *yaml = mini(id, keywords, sevs);
	struct playbook pb;

	parse_ok(yaml, &pb);
	assert_int_equal(pb_library_add(lib, &pb), 0);
	assert_memory_equal(&pb, &zero_pb, sizeof(pb)); /* taken over */
	free(yaml);
}

static void test_library(void **state)
{
	struct pb_library lib;
	struct playbook pb;
	char *yaml;

	pb_library_init(&lib);
	assert_null(pb_library_find(&lib, "x"));
	pb_library_finish(&lib); /* empty: fine */
	assert_int_equal(lib.n, 0);

	add_mini(&lib, "charlie", "[c]", "[]");
	add_mini(&lib, "alpha", "[a, \"a b\"]", "[]");
	add_mini(&lib, "bravo", "[b]", "[]");
	/* A taken id: refused, and the playbook released. */
	yaml = mini("bravo", "[other]", "[1]");
	parse_ok(yaml, &pb);
	assert_int_equal(pb_library_add(&lib, &pb), SCRIBE_EDUP);
	assert_memory_equal(&pb, &zero_pb, sizeof(pb));
	free(yaml);
	assert_int_equal(lib.n, 3);
	/* Found before and after finishing; in id order after. */
	assert_string_equal(pb_library_find(&lib, "bravo")->id, "bravo");
	pb_library_finish(&lib);
	assert_string_equal(lib.books[0].id, "alpha");
	assert_string_equal(lib.books[1].id, "bravo");
	assert_string_equal(lib.books[2].id, "charlie");
	assert_ptr_equal(pb_library_find(&lib, "bravo"), &lib.books[1]);
	assert_string_equal(pb_library_find(&lib, "bravo")->keywords[0], "b");
	assert_null(pb_library_find(&lib, "Bravo"));
	assert_null(pb_library_find(&lib, "delta"));
	assert_null(pb_library_find(&lib, ""));
	assert_int_equal(lib.nkeys, 4);
	/* Finishing twice rebuilds the same index. */
	pb_library_finish(&lib);
	assert_int_equal(lib.nkeys, 4);
	assert_true(pb_library_any(&lib, "a b"));
	pb_library_release(&lib);
	assert_int_equal(lib.n, 0);
	assert_null(lib.books);
}

static void test_load_dir(void **state)
{
	static const char good_a[] = "id: alpha\ntitle: A\n" STEPS;
	static const char good_b[] = "id: bravo\ntitle: B\n" STEPS;
	static const char good_c[] =
	    "{\"id\": \"charlie\", \"title\": \"C\", \"steps\": [{\"id\": "
	    "\"a\", \"title\": \"b\", \"instructions\": \"c\"}]}";
	static const char bad[] = "id: delta\ntitel: D\n" STEPS;
	char *dir = tmpdir_make(), *sub, *want;
	struct pb_library lib;
	struct buf errors;
	int failed;

	write_file(dir, "b.yml", good_b, strlen(good_b));
	write_file(dir, "a.yaml", good_a, strlen(good_a));
	write_file(dir, "c.json", good_c, strlen(good_c));
	write_file(dir, "bad.yaml", bad, strlen(bad));
	/* Same id as a.yaml, later in name order: skipped. */
	write_file(dir, "dup.yaml", good_a, strlen(good_a));
	/* Not playbooks: other extensions, hidden files, editor leftovers. */
	write_file(dir, "README.md", "# hi\n", 5);
	write_file(dir, "notes.txt", "id: nope\n", 9);
	write_file(dir, ".hidden.yaml", bad, strlen(bad));
	write_file(dir, "a.yaml~", bad, strlen(bad));
	write_file(dir, "yaml", bad, strlen(bad));
	/* A folder named like a playbook. */
	sub = xasprintf("%s/folder.yaml", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	free(sub);

	buf_init(&errors, BUF_UNBOUNDED);
	failed = playbooks_load_dir(dir, &lib, &errors);
	assert_int_equal(failed, 3);
	/* A broken file is one line: its first problem, and how many more. */
	want = xasprintf("%s/bad.yaml:2:1: unknown key 'titel' in a playbook "
			 "(did you mean 'title'?) (and 1 more: scribe "
			 "playbook lint %s/bad.yaml)\n"
			 "%s/dup.yaml: a playbook with this id is already "
			 "loaded: skipped\n"
			 "%s/folder.yaml: not a regular file\n",
			 dir, dir, dir, dir);
	assert_string_equal(errors.s, want);
	free(want);
	assert_int_equal(lib.n, 3);
	assert_string_equal(lib.books[0].id, "alpha");
	assert_string_equal(lib.books[1].id, "bravo");
	assert_string_equal(lib.books[2].id, "charlie");
	want = xasprintf("%s/a.yaml", dir);
	assert_string_equal(lib.books[0].file, want);
	free(want);
	pb_library_release(&lib);

	/* A missing folder is an empty library, and no error. */
	buf_reset(&errors);
	sub = xasprintf("%s/missing", dir);
	assert_int_equal(playbooks_load_dir(sub, &lib, &errors), 0);
	assert_int_equal(lib.n, 0);
	assert_int_equal(errors.len, 0);
	assert_false(pb_library_any(&lib, "deadlock"));
	pb_library_release(&lib);
	free(sub);

	/* An empty folder too. */
	sub = xasprintf("%s/empty", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_int_equal(playbooks_load_dir(sub, &lib, &errors), 0);
	assert_int_equal(lib.n, 0);
	pb_library_release(&lib);
	free(sub);

	buf_release(&errors);
	tmpdir_remove(dir);
}

/* ---- matching --------------------------------------------------------------
 */

#define W64 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"

static int match_setup(void **state)
{
	struct pb_library *lib = calloc(1, sizeof(*lib));

	pb_library_init(lib);
	add_mini(lib, "echo", "[]", "[1, 1]"); /* severity only, listed twice */
	add_mini(lib, "alpha", "[\"lock wait\", deadlock]", "[1]");
	add_mini(lib, "bravo", "[Deadlock]", "[]");
	add_mini(lib, "charlie",
		 "[ошибка, café, \"Connection  Timeouts\", \"lock wait "
		 "timeout\"]",
		 "[2]");
	add_mini(lib, "delta", "[" W64 ", \"!!!\"]", "[]");
	pb_library_finish(lib);
	*state = lib;
	return 0;
}

static int match_teardown(void **state)
{
	pb_library_release(*state);
	free(*state);
	return 0;
}

/* Matches text and checks the result: "id:score:keyword ..." best first
 * ("-" for no keyword). */
static void assert_match(const struct pb_library *lib, const char *text,
			 int severity, const char *want)
{
	struct pb_match m[8];
	struct buf got;
	size_t n, i;

	n = pb_library_match(lib, text, severity, m, ARRAY_SIZE(m));
	buf_init(&got, BUF_UNBOUNDED);
	for (i = 0; i < n && i < ARRAY_SIZE(m); i++)
		buf_addf(&got, "%s%s:%d:%s", i ? " " : "", m[i].pb->id,
			 m[i].score, m[i].keyword ? m[i].keyword : "-");
	if (strcmp(got.len ? got.s : "", want))
		fail_msg("'%.60s' (sev %d) matched '%s', not '%s'", text,
			 severity, got.len ? got.s : "", want);
	/* The cheap test agrees when no severity is involved. */
	if (!severity)
		assert_int_equal(pb_library_any(lib, text), n > 0);
	buf_release(&got);
}

static void test_match_words(void **state)
{
	const struct pb_library *lib = *state;

	/* Whole words, any case, any spacing or punctuation between. */
	assert_match(lib, "LOCK   wait", 0, "alpha:1:lock wait");
	assert_match(lib, "we see a lock\twait on orders", 0,
		     "alpha:1:lock wait");
	assert_match(lib, "lock\nwait", 0, "alpha:1:lock wait");
	assert_match(lib, "(lock wait)", 0, "alpha:1:lock wait");
	assert_match(lib, "lock, wait", 0, "alpha:1:lock wait");
	assert_match(lib, "lock-wait", 0, "alpha:1:lock wait");
	/* Not parts of words, not partial phrases, not reordered. */
	assert_match(lib, "lockwait", 0, "");
	assert_match(lib, "lock waiting", 0, "");
	assert_match(lib, "unlock wait", 0, "");
	assert_match(lib, "lock", 0, "");
	assert_match(lib, "wait lock", 0, "");
	assert_match(lib, "lock lock wait", 0, "alpha:1:lock wait");
	assert_match(lib, "deadlocks", 0, "");
	assert_match(lib, "xdeadlock", 0, "");
	assert_match(lib, "dead lock", 0, "");
	assert_match(lib, "", 0, "");
	assert_match(lib, "   ,,, ", 0, "");
	/* A keyword in several playbooks: each; ties in id order. */
	assert_match(lib, "DEADLOCK!", 0, "alpha:1:deadlock bravo:1:deadlock");
	/* Keywords stored lowercase, spacing of the file ignored. */
	assert_match(lib, "connection timeouts", 0,
		     "charlie:1:connection  timeouts");
	/* A three-word keyword beside a two-word one that starts it. */
	assert_match(lib, "Lock wait timeout exceeded", 0,
		     "alpha:1:lock wait charlie:1:lock wait timeout");
	/* A keyword of punctuation only never matches. */
	assert_match(lib, "!!!", 0, "");
}

static void test_match_order(void **state)
{
	const struct pb_library *lib = *state;
	struct pb_match m[2];

	/* More keywords first; each keyword counted once. */
	assert_match(lib, "deadlock, then a lock wait", 0,
		     "alpha:2:deadlock bravo:1:deadlock");
	assert_match(lib, "lock wait, then a deadlock", 0,
		     "alpha:2:lock wait bravo:1:deadlock");
	assert_match(lib, "deadlock deadlock deadlock", 0,
		     "alpha:1:deadlock bravo:1:deadlock");
	/* The severity adds one, once (echo lists sev1 twice); a keyword
	 * match beats a severity alone at the same score. */
	assert_match(lib, "nothing relevant", 1, "alpha:1:- echo:1:-");
	assert_match(lib, "deadlock", 1,
		     "alpha:2:deadlock bravo:1:deadlock echo:1:-");
	assert_match(lib, "deadlock", 2,
		     "alpha:1:deadlock bravo:1:deadlock charlie:1:-");
	assert_match(lib, "café", 2, "charlie:2:café");
	assert_match(lib, "nothing", 7, "");
	/* Severity 0 or less: no severity. */
	assert_match(lib, "nothing", 0, "");
	assert_match(lib, "nothing", -1, "");

	/* At most max written; the total returned. */
	assert_int_equal(pb_library_match(lib, "deadlock", 1, m, 1), 3);
	assert_string_equal(m[0].pb->id, "alpha");
	assert_int_equal(pb_library_match(lib, "deadlock", 1, NULL, 0), 3);
}

static void test_match_utf8(void **state)
{
	const struct pb_library *lib = *state;

	assert_match(lib, "ошибка в базе", 0, "charlie:1:ошибка");
	assert_match(lib, "«ошибка»", 0, "charlie:1:ошибка");
	assert_match(lib, "Le café, encore", 0, "charlie:1:café");
	/* The spaces and punctuation keyboards put between words separate
	 * words like ASCII ones: smart quotes, no-break space, dashes, the
	 * ellipsis, guillemets, CJK punctuation. */
	assert_match(lib, "Postgres said “deadlock detected”", 0,
		     "alpha:1:deadlock bravo:1:deadlock");
	assert_match(lib, "the ‘deadlock’…", 0,
		     "alpha:1:deadlock bravo:1:deadlock");
	assert_match(lib, "lock\u00a0wait", 0, "alpha:1:lock wait");
	assert_match(lib, "lock\u2009wait—again", 0, "alpha:1:lock wait");
	assert_match(lib, "lock\u200bwait", 0, "alpha:1:lock wait");
	assert_match(lib, "deadlock\u3002lock\u3000wait", 0,
		     "alpha:2:deadlock bravo:1:deadlock");
	assert_match(lib, "¿deadlock?", 0, "alpha:1:deadlock bravo:1:deadlock");
	/* Other UTF-8 is part of words: no match inside longer words. */
	assert_match(lib, "ошибками", 0, "");
	assert_match(lib, "cafés", 0, "");
	assert_match(lib, "écafé", 0, "");
	/* Case folding is ASCII only. */
	assert_match(lib, "Ошибка", 0, "");
	assert_match(lib, "CAFÉ", 0, "");
	assert_match(lib, "CAFé", 0, "charlie:1:café");
	/* Broken UTF-8 is just bytes. */
	assert_match(lib, "\xff\xfe deadlock \xc3", 0,
		     "alpha:1:deadlock bravo:1:deadlock");
}

static void test_match_long_words(void **state)
{
	const struct pb_library *lib = *state;
	struct buf b;
	size_t i;

	/* A 64-byte keyword matches a 64-byte word, not a longer one. */
	assert_match(lib, "see " W64 " here", 0, "delta:1:" W64);
	assert_match(lib, W64, 0, "delta:1:" W64);
	assert_match(lib, W64 "x", 0, "");
	assert_match(lib, "x" W64, 0, "");
	/* Words far longer than 64 bytes: skipped, never a crash; the
	 * words around them still count. */
	buf_init(&b, BUF_UNBOUNDED);
	for (i = 0; i < 100000; i++)
		buf_addch(&b, 'x');
	buf_adds(&b, " deadlock ");
	for (i = 0; i < 100000; i++)
		buf_adds(&b, "é");
	buf_adds(&b, " lock ");
	for (i = 0; i < 1000; i++)
		buf_addch(&b, 'w');
	assert_match(lib, b.s, 0, "alpha:1:deadlock bravo:1:deadlock");
	/* A phrase interrupted by a long word does not match. */
	buf_reset(&b);
	buf_adds(&b, "lock ");
	for (i = 0; i < 65; i++)
		buf_addch(&b, 'w');
	buf_adds(&b, " wait");
	assert_match(lib, b.s, 0, "");
	buf_release(&b);
}

static void test_match_empty(void **state)
{
	struct pb_library lib;
	struct pb_match m[1];

	/* No playbooks; playbooks without keywords. */
	pb_library_init(&lib);
	pb_library_finish(&lib);
	assert_int_equal(pb_library_match(&lib, "deadlock", 1, m, 1), 0);
	assert_false(pb_library_any(&lib, "deadlock"));
	add_mini(&lib, "a", "[]", "[]");
	pb_library_finish(&lib);
	assert_int_equal(lib.nkeys, 0);
	assert_int_equal(pb_library_match(&lib, "deadlock", 1, m, 1), 0);
	assert_false(pb_library_any(&lib, "deadlock"));
	pb_library_release(&lib);
}

/* ---- the engine ------------------------------------------------------------
 */

static const char pb_deadlock[] =
    "id: db-deadlock\n"
    "title: Database deadlock check\n"
    "description: |\n"
    "  Find the blocker.\n"
    "triggers:\n"
    "  keywords: [deadlock, \"lock wait\", migration]\n"
    "  severities: [1]\n"
    "steps:\n"
    "  - id: changes\n"
    "    title: What changed?\n"
    "    instructions: List deploys and migrations.\n"
    "    evidence: required\n"
    "  - id: blockers\n"
    "    title: Find the blocker\n"
    "    instructions: |\n"
    "      Run the blocking-chain query.\n"
    "\n"
    "    skip_when: No lock waits.\n"
    "    commands:\n"
    "      - flavor: postgresql\n"
    "        label: Blocking chain\n"
    "        run: |\n"
    "          SELECT pid, pg_blocking_pids(pid) FROM pg_stat_activity;\n"
    "      - flavor: shell\n"
    "        run: uptime\n"
    "  - id: decide\n"
    "    title: End the blocker or roll back\n"
    "    instructions: Decide with the commander.\n";

static const char pb_web[] = "id: web-errors\n"
			     "title: Web errors after a deploy\n"
			     "triggers:\n"
			     "  keywords: [errors, \"error rate\", deploy]\n"
			     "steps:\n"
			     "  - id: deploys\n"
			     "    title: Recent deploys\n"
			     "    instructions: List them.\n"
			     "  - id: rollback\n"
			     "    title: Roll back\n"
			     "    instructions: Roll back the last deploy.\n";

static const char pb_commander[] = "id: incident-commander\n"
				   "title: Incident commander\n"
				   "triggers:\n"
				   "  severities: [1, 2]\n"
				   "steps:\n"
				   "  - id: roles\n"
				   "    title: Assign roles\n"
				   "    instructions: Name a commander.\n";

static const char step1[] = "▶ db-deadlock · S1 of 3: What changed?\n"
			    "List deploys and migrations.\n"
			    "Evidence required: `!inc step done S1 <what you "
			    "found>` · `!inc step skip S1 "
			    "<why>`";
static const char step2[] =
    "▶ db-deadlock · S2 of 3: Find the blocker\n"
    "Run the blocking-chain query.\n"
    "_Skip when:_ No lock waits.\n"
    "PostgreSQL — Blocking chain:\n"
    "```sql\n"
    "SELECT pid, pg_blocking_pids(pid) FROM pg_stat_activity;\n"
    "```\n"
    "Shell:\n"
    "```sh\n"
    "uptime\n"
    "```\n"
    "`!inc step done S2 [evidence]` · `!inc step skip S2 <why>`";
static const char step3[] =
    "▶ db-deadlock · S3 of 3: End the blocker or roll back\n"
    "Decide with the commander.\n"
    "`!inc step done S3 [evidence]` · `!inc step skip S3 <why>`";

struct sim {
	struct incident *inc; /* the room's incident, or NULL */
	const char *room;
	int64_t now;
	struct user speaker;
	const struct pb_library *lib;
};

struct fixture {
	struct pb_library lib;
	struct incident inc;
};

static void lib_of(struct pb_library *lib, const char *const *yamls, size_t n)
{
	struct playbook pb;
	size_t i;

	pb_library_init(lib);
	for (i = 0; i < n; i++) {
		parse_ok(yamls[i], &pb);
		assert_int_equal(pb_library_add(lib, &pb), 0);
	}
	pb_library_finish(lib);
}

/* Parses line, loads the incident as app.c would, runs it into *fx. */
static int sim_run(const struct sim *s, const char *line, struct effects *fx)
{
	struct core_req req;
	struct core_env env;
	int rc;

	memset(fx, 0, sizeof(*fx));
	core_parse(&req, line);
	memset(&env, 0, sizeof(env));
	env.cfg = &cfg;
	env.now = s->now;
	env.next_id = 3;
	env.platform = "console";
	env.room = s->room;
	env.speaker = s->speaker;
	env.playbooks = s->lib;
	if ((req.need & NEED_INCIDENT) && s->inc &&
	    (!req.inc_ref || req.inc_ref == s->inc->id))
		env.inc = s->inc;
	rc = core_run(&req, &env, fx);
	core_req_release(&req);
	return rc;
}

/* Forgets what changed, as the store does once written. */
static void settle(struct incident *inc)
{
	size_t i;

	inc->dirty = false;
	for (i = 0; i < inc->nroles; i++)
		inc->roles[i].dirty = false;
	for (i = 0; i < inc->nruns; i++)
		inc->runs[i].dirty = false;
}

static void sim_in(struct sim *s, struct fixture *f, int64_t now,
		   const struct user *who)
{
	memset(s, 0, sizeof(*s));
	s->inc = &f->inc;
	s->room = f->inc.room;
	s->now = now;
	s->speaker = *who;
	s->lib = &f->lib;
}

/* Runs a command that must succeed; the caller releases *fx. */
static void ok(const struct sim *s, const char *line, struct effects *fx)
{
	if (sim_run(s, line, fx))
		fail_msg("'%s' refused: %s", line,
			 fx->nposts ? fx->posts[0].text : "(no reply)");
	assert_true(fx->nposts >= 1);
}

/* A state of the incident's runs, to see that a refusal changed nothing. */
static char *runs_digest(const struct incident *inc)
{
	struct buf b;
	size_t i, k;

	buf_init(&b, BUF_UNBOUNDED);
	buf_addf(&b, "cur=%d sug=%s dirty=%d|", inc->current_run,
		 inc->suggested ? inc->suggested : "-", inc->dirty);
	for (i = 0; i < inc->nruns; i++) {
		const struct pb_run *r = &inc->runs[i];

		buf_addf(&b, "run%d %s %lld %d:", r->n, r->playbook,
			 (long long)r->finished, r->dirty);
		for (k = 0; k < r->nsteps; k++)
			buf_addf(&b, " %s=%d,%s,%lld,%s", r->steps[k].step_id,
				 r->steps[k].state,
				 r->steps[k].by.id ? r->steps[k].by.id : "-",
				 (long long)r->steps[k].at,
				 r->steps[k].note ? r->steps[k].note : "-");
		buf_adds(&b, "|");
	}
	return buf_detach(&b, NULL);
}

/* line is refused: one private reply saying want (exactly, before the
 * usage line), nothing recorded, the incident unchanged. */
static void refused(const struct sim *s, const char *line, const char *want)
{
	char *before = s->inc ? runs_digest(s->inc) : NULL, *after, *exp;
	struct effects fx;
	int rc = sim_run(s, line, &fx);

	if (rc != SCRIBE_EINVAL)
		fail_msg("'%s' returned %d, not refused", line, rc);
	assert_int_equal(fx.nposts, 1);
	exp = xasprintf("✗ %s\nusage: ", want);
	if (strncmp(fx.posts[0].text, exp, strlen(exp)))
		fail_msg("'%s': refusal '%s', not '%s'", line, fx.posts[0].text,
			 want);
	free(exp);
	assert_non_null(fx.posts[0].to_user);
	assert_string_equal(fx.posts[0].to_user, s->speaker.id);
	assert_int_equal(fx.nentries, 0);
	if (before) {
		after = runs_digest(s->inc);
		assert_string_equal(after, before);
		free(after);
		free(before);
	}
	effects_release(&fx);
}

/* The i-th entry is a key playbook entry by who at at saying text. */
static void assert_entry(const struct effects *fx, size_t i, int64_t at,
			 const struct user *who, const char *text)
{
	const struct fx_entry *e;

	if (i >= fx->nentries)
		fail_msg("no entry %zu (there are %zu)", i, fx->nentries);
	e = &fx->entries[i];
	assert_int_equal(e->kind, ENTRY_PLAYBOOK);
	assert_int_equal(e->at, at);
	assert_true(e->key);
	assert_string_equal(e->who.id, who->id);
	assert_string_equal(e->text, text);
}

/* Post i is in room (NULL: the incident's channel), for everyone, and
 * says exactly text. */
static void assert_post(const struct effects *fx, size_t i, const char *room,
			const char *text)
{
	const struct fx_post *p;

	if (i >= fx->nposts)
		fail_msg("no post %zu (there are %zu)", i, fx->nposts);
	p = &fx->posts[i];
	assert_null(p->to_user);
	if (room) {
		assert_non_null(p->room);
		assert_string_equal(p->room, room);
	} else {
		assert_null(p->room);
	}
	assert_string_equal(p->text, text);
}

/* Declares the fixture's incident from #general at T0 with the
 * library, keeping the effects for the caller when fx is not NULL. */
static void declare(struct fixture *f, const char *line, struct effects *fx)
{
	struct effects own;
	struct sim s;

	memset(&s, 0, sizeof(s));
	s.room = "#general";
	s.now = T0;
	s.speaker = alice;
	s.lib = &f->lib;
	if (!fx)
		fx = &own;
	ok(&s, line, fx);
	assert_true(fx->created);
	f->inc = *fx->inc;
	free(fx->inc);
	fx->inc = &f->inc;
	fx->created = false;
	if (fx == &own)
		effects_release(fx);
	f->inc.room = xasprintf("#%s", f->inc.channel);
	settle(&f->inc);
}

static int engine_setup(void **state)
{
	static const char *const yamls[] = {pb_web, pb_deadlock, pb_commander};
	struct fixture *f = calloc(1, sizeof(*f));

	lib_of(&f->lib, yamls, ARRAY_SIZE(yamls));
	declare(f, "declare Database deadlock on orders sev1", NULL);
	*state = f;
	return 0;
}

static int engine_teardown(void **state)
{
	struct fixture *f = *state;

	incident_release(&f->inc);
	pb_library_release(&f->lib);
	free(f);
	return 0;
}

static void test_suggest_at_declare(void **state)
{
	struct fixture *f = *state;
	struct effects fx;
	size_t i;

	/* Declared again to look at its effects. */
	incident_release(&f->inc);
	declare(f, "declare Database deadlock on orders sev1", &fx);
	assert_string_equal(f->inc.suggested,
			    ",db-deadlock,incident-commander,");
	for (i = 0; i < fx.nposts; i++)
		if (strstr(fx.posts[i].text, "Suggested"))
			break;
	assert_post(&fx, i, NULL,
		    "💡 Suggested playbooks, best match first:\n"
		    "• db-deadlock — Database deadlock check (matched "
		    "“deadlock”)\n"
		    "• incident-commander — Incident commander (for sev1)\n"
		    "`!inc playbook start db-deadlock` to begin.");
	assert_int_equal(fx.nentries, 4); /* declared, commander, 2 */
	assert_entry(&fx, 2, T0, &alice,
		     "suggested db-deadlock (matched “deadlock”)");
	assert_entry(&fx, 3, T0, &alice, "suggested incident-commander");
	effects_release(&fx);

	/* Nothing matches: no suggestion, nothing recorded. */
	incident_release(&f->inc);
	declare(f, "declare Payments slow sev3", &fx);
	assert_null(f->inc.suggested);
	for (i = 0; i < fx.nposts; i++)
		assert_null(strstr(fx.posts[i].text, "Suggested"));
	for (i = 0; i < fx.nentries; i++)
		assert_int_not_equal(fx.entries[i].kind, ENTRY_PLAYBOOK);
	effects_release(&fx);

	/* One match: the singular. */
	incident_release(&f->inc);
	declare(f, "declare Checkout errors sev3", &fx);
	assert_string_equal(f->inc.suggested, ",web-errors,");
	for (i = 0; i < fx.nposts; i++)
		if (strstr(fx.posts[i].text, "Suggested"))
			break;
	assert_post(&fx, i, NULL,
		    "💡 Suggested playbook, best match first:\n"
		    "• web-errors — Web errors after a deploy (matched "
		    "“errors”)\n"
		    "`!inc playbook start web-errors` to begin.");
	effects_release(&fx);
}

/* core_message as app.c calls it in the incident's channel. */
static bool message(struct fixture *f, const char *text, struct effects *fx)
{
	struct core_env env;

	memset(&env, 0, sizeof(env));
	memset(fx, 0, sizeof(*fx));
	env.cfg = &cfg;
	env.now = T0 + 10 * MIN;
	env.platform = "console";
	env.room = f->inc.room;
	env.speaker = bob;
	env.inc = &f->inc;
	env.playbooks = &f->lib;
	return core_message(&env, text, fx);
}

static void test_suggest_on_message(void **state)
{
	struct fixture *f = *state;
	struct effects fx;

	incident_release(&f->inc);
	declare(f, "declare Checkout errors spiking sev2", NULL);
	assert_string_equal(f->inc.suggested,
			    ",web-errors,incident-commander,");

	/* Not matching, or only already suggested playbooks: nothing. */
	assert_false(message(f, "looking at the dashboards", &fx));
	assert_int_equal(fx.nposts + fx.nentries, 0);
	effects_release(&fx);
	assert_false(message(f, "the error rate after the deploy", &fx));
	assert_int_equal(fx.nposts + fx.nentries, 0);
	effects_release(&fx);
	assert_false(f->inc.dirty);

	/* The first match of a new playbook: suggested once. */
	assert_true(message(f, "I see LOCK   wait on the orders table", &fx));
	assert_ptr_equal(fx.inc, &f->inc);
	assert_int_equal(fx.nposts, 1);
	assert_post(&fx, 0, NULL,
		    "💡 Suggested playbook, best match first:\n"
		    "• db-deadlock — Database deadlock check (matched "
		    "“lock wait”)\n"
		    "`!inc playbook start db-deadlock` to begin.");
	assert_int_equal(fx.nentries, 1);
	assert_entry(&fx, 0, T0 + 10 * MIN, &bob,
		     "suggested db-deadlock (matched “lock wait”)");
	assert_string_equal(f->inc.suggested,
			    ",web-errors,incident-commander,db-deadlock,");
	assert_true(f->inc.dirty);
	effects_release(&fx);
	settle(&f->inc);

	/* And never again. */
	assert_false(message(f, "a deadlock! lock wait! migration!", &fx));
	assert_int_equal(fx.nposts + fx.nentries, 0);
	effects_release(&fx);
	assert_false(f->inc.dirty);

	/* Closed: nothing. Outside an incident: nothing. */
	f->inc.suggested[1] = 'X'; /* forget web-errors for a moment */
	f->inc.marks[MARK_CLOSED] = T0 + 20 * MIN;
	assert_false(message(f, "errors", &fx));
	assert_int_equal(fx.nposts, 0);
	effects_release(&fx);
	f->inc.marks[MARK_CLOSED] = 0;
	{
		struct core_env env;

		memset(&env, 0, sizeof(env));
		env.playbooks = &f->lib;
		env.speaker = bob;
		assert_false(core_message(&env, "errors", &fx));
		assert_int_equal(fx.nposts, 0);
		effects_release(&fx);
	}
	/* No playbooks loaded: nothing. */
	{
		struct pb_library none;
		struct core_env env;

		pb_library_init(&none);
		memset(&env, 0, sizeof(env));
		env.inc = &f->inc;
		env.speaker = bob;
		env.playbooks = &none;
		assert_false(core_message(&env, "errors", &fx));
		effects_release(&fx);
		env.playbooks = NULL;
		assert_false(core_message(&env, "errors", &fx));
		effects_release(&fx);
	}
}

static void test_suggest_many(void **state)
{
	/* 15 playbooks match the same word: three suggested at a time, each
	 * once, until every one has been. */
	struct fixture *f = *state;
	struct effects fx;
	char id[8];
	int i, round;

	incident_release(&f->inc);
	pb_library_release(&f->lib);
	pb_library_init(&f->lib);
	for (i = 1; i <= 15; i++) {
		snprintf(id, sizeof(id), "p%02d", i);
		add_mini(&f->lib, id, "[stalled]", "[]");
	}
	pb_library_finish(&f->lib);
	declare(f, "declare Orders stalled sev3", NULL);
	assert_string_equal(f->inc.suggested, ",p01,p02,p03,");
	for (round = 0; round < 4; round++) {
		assert_true(message(f, "still stalled", &fx));
		assert_int_equal(fx.nentries, 3);
		snprintf(id, sizeof(id), "p%02d", 4 + 3 * round);
		assert_non_null(strstr(fx.posts[0].text, id));
		effects_release(&fx);
	}
	assert_string_equal(f->inc.suggested, ",p01,p02,p03,p04,p05,p06,p07,"
					      "p08,p09,p10,p11,p12,p13,p14,"
					      "p15,");
	assert_false(message(f, "stalled", &fx));
	effects_release(&fx);
}

static void test_start_unknown_among_many(void **state)
{
	/* The nearest id is looked for among all of them, not the first
	 * few dozen. */
	struct fixture *f = *state;
	struct sim s;
	char id[16];
	int i;

	incident_release(&f->inc);
	pb_library_release(&f->lib);
	pb_library_init(&f->lib);
	for (i = 1; i <= 100; i++) {
		snprintf(id, sizeof(id), "book-%03d", i);
		add_mini(&f->lib, id, "[]", "[]");
	}
	add_mini(&f->lib, "zebra-check", "[]", "[]");
	pb_library_finish(&f->lib);
	declare(f, "declare Orders stalled sev3", NULL);
	sim_in(&s, f, T0 + MIN, &alice);
	refused(&s, "playbook start zebra-chek",
		"no playbook 'zebra-chek' (did you mean 'zebra-check'?)");
	refused(&s, "playbook show zebra-chek",
		"no playbook 'zebra-chek' (did you mean 'zebra-check'?)");
}

static void test_playbook_list(void **state)
{
	struct fixture *f = *state;
	struct effects fx;
	struct sim s;

	/* In the incident: best match first, then the rest in id order. */
	sim_in(&s, f, T0 + MIN, &alice);
	ok(&s, "playbook list", &fx);
	assert_int_equal(fx.nposts, 1);
	assert_int_equal(fx.nentries, 0);
	assert_post(
	    &fx, 0, f->inc.room,
	    "Playbooks (3), best match for this incident first:\n"
	    "★ db-deadlock — Database deadlock check (3 steps)\n"
	    "★ incident-commander — Incident commander (1 step)\n"
	    "• web-errors — Web errors after a deploy (2 steps)\n"
	    "`!inc playbook start <id>` runs one; `!inc playbook show <id>` "
	    "shows its steps.");
	effects_release(&fx);
	assert_false(f->inc.dirty);

	/* Anywhere else: all of them, in id order. */
	s.inc = NULL;
	s.room = "#general";
	ok(&s, "playbook list", &fx);
	assert_post(
	    &fx, 0, "#general",
	    "Playbooks (3):\n"
	    "• db-deadlock — Database deadlock check (3 steps)\n"
	    "• incident-commander — Incident commander (1 step)\n"
	    "• web-errors — Web errors after a deploy (2 steps)\n"
	    "`!inc playbook start <id>` runs one; `!inc playbook show <id>` "
	    "shows its steps.");
	effects_release(&fx);
	/* A playbook's overview works anywhere too. */
	ok(&s, "playbook show web-errors", &fx);
	assert_post(&fx, 0, "#general",
		    "web-errors — Web errors after a deploy\n"
		    "S1 Recent deploys\n"
		    "S2 Roll back\n"
		    "`!inc playbook start web-errors` runs it.");
	effects_release(&fx);
	refused(&s, "playbook start db-deadlock",
		"this is not an incident channel: name one first, as in "
		"`!inc playbook INC-3 start db-deadlock`");
	refused(&s, "playbook show",
		"no playbook has run in this incident: `!inc playbook list`, "
		"then `!inc playbook start <id>`");

	/* No playbooks loaded. */
	s.lib = NULL;
	refused(&s, "playbook list",
		"no playbooks are loaded: add YAML files to the playbook "
		"folder (see playbooks/README.md)");
	sim_in(&s, f, T0 + MIN, &alice);
	s.lib = NULL;
	refused(&s, "playbook start db-deadlock",
		"no playbooks are loaded: add YAML files to the playbook "
		"folder (see playbooks/README.md)");
	refused(&s, "playbook show db-deadlock",
		"no playbooks are loaded: add YAML files to the playbook "
		"folder (see playbooks/README.md)");
	refused(&s, "playbook frob", "'frob' is not list, start or show");
}

static void test_playbook_start(void **state)
{
	struct fixture *f = *state;
	struct effects fx;
	struct sim s;

	sim_in(&s, f, T0 + MIN, &alice);
	refused(&s, "playbook start",
		"which playbook? `!inc playbook list` shows them");
	refused(&s, "playbook start db-deadlok",
		"no playbook 'db-deadlok' (did you mean 'db-deadlock'?)");
	refused(&s, "playbook start web-eror",
		"no playbook 'web-eror' (did you mean 'web-errors'?)");
	refused(
	    &s, "playbook start postgres-vacuum",
	    "no playbook 'postgres-vacuum': `!inc playbook list` shows them");

	ok(&s, "playbook start db-deadlock", &fx);
	assert_int_equal(fx.nposts, 1);
	assert_post(&fx, 0, NULL, step1);
	assert_int_equal(fx.nentries, 1);
	assert_entry(&fx, 0, T0 + MIN, &alice,
		     "started db-deadlock: Database deadlock check (3 steps)");
	effects_release(&fx);
	assert_int_equal(f->inc.nruns, 1);
	assert_int_equal(f->inc.runs[0].n, 1);
	assert_string_equal(f->inc.runs[0].playbook, "db-deadlock");
	assert_string_equal(f->inc.runs[0].title, "Database deadlock check");
	assert_string_equal(f->inc.runs[0].by.id, "alice");
	assert_int_equal(f->inc.runs[0].started, T0 + MIN);
	assert_int_equal(f->inc.runs[0].finished, 0);
	assert_int_equal(f->inc.runs[0].nsteps, 3);
	assert_string_equal(f->inc.runs[0].steps[1].step_id, "blockers");
	assert_string_equal(f->inc.runs[0].steps[1].title, "Find the blocker");
	assert_int_equal(f->inc.runs[0].steps[1].state, STEP_PENDING);
	assert_true(f->inc.runs[0].dirty);
	assert_true(f->inc.dirty);
	assert_int_equal(f->inc.current_run, 1);
	settle(&f->inc);

	/* Once at a time. */
	s.speaker = bob;
	refused(
	    &s, "playbook start db-deadlock",
	    "db-deadlock is already running: `!inc playbook show db-deadlock`");

	/* From another room, naming the incident: the step goes to the
	 * incident's channel. */
	s.room = "#general";
	ok(&s, "playbook INC-3 start web-errors", &fx);
	assert_int_equal(fx.nposts, 1);
	assert_null(fx.posts[0].room);
	assert_int_equal(f->inc.nruns, 2);
	assert_int_equal(f->inc.current_run, 2);
	effects_release(&fx);
	settle(&f->inc);

	/* Not on a closed incident. */
	sim_in(&s, f, T0 + 2 * MIN, &alice);
	f->inc.marks[MARK_CLOSED] = T0 + 2 * MIN;
	refused(&s, "playbook start incident-commander",
		"INC-3 is closed (`!inc reopen` it first)");
	refused(&s, "step done S1 found it",
		"INC-3 is closed (`!inc reopen` it first)");
	/* Reading still works. */
	ok(&s, "playbook list", &fx);
	effects_release(&fx);
	f->inc.marks[MARK_CLOSED] = 0;
}

static void test_playbook_show(void **state)
{
	struct fixture *f = *state;
	struct effects fx;
	struct sim s;

	sim_in(&s, f, T0 + MIN, &alice);
	refused(&s, "playbook show",
		"no playbook has run in this incident: `!inc playbook list`, "
		"then `!inc playbook start <id>`");
	/* Not running: the playbook's overview. */
	ok(&s, "playbook show db-deadlock", &fx);
	assert_post(&fx, 0, f->inc.room,
		    "db-deadlock — Database deadlock check\n"
		    "Find the blocker.\n"
		    "S1 What changed? (evidence required)\n"
		    "S2 Find the blocker\n"
		    "S3 End the blocker or roll back\n"
		    "`!inc playbook start db-deadlock` runs it.");
	effects_release(&fx);
	refused(&s, "playbook show db-deadlok",
		"no playbook 'db-deadlok' (did you mean 'db-deadlock'?)");

	/* Running: its current step, with instructions and snippets. */
	ok(&s, "playbook start db-deadlock", &fx);
	effects_release(&fx);
	settle(&f->inc);
	ok(&s, "playbook show", &fx);
	assert_int_equal(fx.nposts, 1);
	assert_post(&fx, 0, NULL, step1);
	assert_int_equal(fx.nentries, 0);
	effects_release(&fx);
	ok(&s, "step done S1 migration 42 ran at 13:55", &fx);
	effects_release(&fx);
	settle(&f->inc);
	ok(&s, "playbook show db-deadlock", &fx);
	assert_post(&fx, 0, NULL, step2);
	effects_release(&fx);
	assert_false(f->inc.dirty); /* already the current run */
	ok(&s, "step skip no lock waits at all", &fx);
	assert_post(&fx, 1, NULL, step3);
	effects_release(&fx);
	ok(&s, "playbook show", &fx);
	assert_post(&fx, 0, NULL, step3);
	effects_release(&fx);
}

static void test_step_walk(void **state)
{
	struct fixture *f = *state;
	struct effects fx;
	struct sim s;
	const struct pb_run *run;

	sim_in(&s, f, T0 + MIN, &alice);
	refused(
	    &s, "step done",
	    "no playbook is running: `!inc playbook list`, then `!inc playbook "
	    "start <id>`");
	refused(
	    &s, "step skip S1 why not",
	    "no playbook is running: `!inc playbook list`, then `!inc playbook "
	    "start <id>`");
	ok(&s, "playbook start db-deadlock", &fx);
	effects_release(&fx);
	settle(&f->inc);
	run = &f->inc.runs[0];

	/* Evidence required: refused without. */
	s.now = T0 + 5 * MIN;
	refused(&s, "step done",
		"S1 needs evidence: `!inc step done S1 <what you found>`");
	refused(&s, "step done S1",
		"S1 needs evidence: `!inc step done S1 <what you found>`");
	refused(&s, "step skip", "say why: `!inc step skip S1 <why>`");
	refused(&s, "step skip S2", "say why: `!inc step skip S2 <why>`");
	refused(&s, "step frob", "'frob' is not done, skip or show");
	/* Out of range, S0 included (never taken for evidence). */
	refused(&s, "step done S4 found it", "db-deadlock has steps S1 to S3");
	refused(&s, "step done S0 found it", "db-deadlock has steps S1 to S3");
	refused(&s, "step skip s99999999999 x",
		"db-deadlock has steps S1 to S3");

	/* S1 done, with evidence: recorded, said, the next step posted. */
	ok(&s, "step done migration 42 ran at 13:55", &fx);
	assert_int_equal(fx.nentries, 1);
	assert_entry(&fx, 0, T0 + 5 * MIN, &alice,
		     "db-deadlock S1 done: What changed? — migration 42 ran "
		     "at 13:55 (took 4 min)");
	assert_int_equal(fx.nposts, 2);
	assert_post(&fx, 0, f->inc.room,
		    "✅ S1 of db-deadlock done by alice in 4 min — evidence: "
		    "migration 42 ran at 13:55");
	assert_post(&fx, 1, NULL, step2);
	effects_release(&fx);
	assert_int_equal(run->steps[0].state, STEP_DONE);
	assert_string_equal(run->steps[0].by.id, "alice");
	assert_int_equal(run->steps[0].at, T0 + 5 * MIN);
	assert_string_equal(run->steps[0].note, "migration 42 ran at 13:55");
	assert_true(run->dirty);
	settle(&f->inc);

	/* Two people completing the same step at once: the second is told
	 * who did it and when, and nothing changes. */
	s.speaker = bob;
	s.now = T0 + 5 * MIN + 2000;
	refused(&s, "step done S1 I found it too",
		"S1 of db-deadlock was already done by alice at 14:05 UTC");
	refused(&s, "step skip S1 never mind",
		"S1 of db-deadlock was already done by alice at 14:05 UTC");

	/* A later step first, by S<n>: a skip has no duration. */
	s.now = T0 + 12 * MIN;
	ok(&s, "step skip S3 the blocker already ended", &fx);
	assert_entry(&fx, 0, T0 + 12 * MIN, &bob,
		     "db-deadlock S3 skipped: End the blocker or roll back — "
		     "the blocker already ended");
	assert_post(&fx, 0, f->inc.room,
		    "⏭ S3 of db-deadlock skipped by bob — why: the blocker "
		    "already ended");
	assert_post(&fx, 1, NULL, step2); /* still pending */
	effects_release(&fx);
	settle(&f->inc);
	refused(&s, "step done S3 x",
		"S3 of db-deadlock was already skipped by bob at 14:12 UTC");

	/* The last pending step: the run finishes. Evidence is optional
	 * here; "took" counts from when S2 became current (S1 done), not
	 * from S3's skip. */
	s.speaker = alice;
	s.now = T0 + 25 * MIN;
	ok(&s, "step done", &fx);
	assert_int_equal(fx.nentries, 2);
	assert_entry(&fx, 0, T0 + 25 * MIN, &alice,
		     "db-deadlock S2 done: Find the blocker (took 20 min)");
	assert_entry(&fx, 1, T0 + 25 * MIN, &alice, "db-deadlock finished");
	assert_int_equal(fx.nposts, 2);
	assert_post(&fx, 0, f->inc.room,
		    "✅ S2 of db-deadlock done by alice in 20 min");
	assert_post(&fx, 1, NULL,
		    "🏁 db-deadlock finished: every step is done or skipped.");
	effects_release(&fx);
	assert_int_equal(run->finished, T0 + 25 * MIN);
	assert_null(run->steps[1].note);
	settle(&f->inc);

	/* Nothing is running now. */
	refused(
	    &s, "step done",
	    "no playbook is running: `!inc playbook list`, then `!inc playbook "
	    "start <id>`");
	/* `playbook show` shows the finished run, step by step. */
	ok(&s, "playbook show", &fx);
	assert_post(&fx, 0, f->inc.room,
		    "🏁 db-deadlock finished at 14:25 UTC, 24 min after alice "
		    "started it:\n"
		    "✅ S1 What changed? — done by alice at 14:05: migration 42 "
		    "ran at 13:55\n"
		    "✅ S2 Find the blocker — done by alice at 14:25\n"
		    "⏭ S3 End the blocker or roll back — skipped by bob at "
		    "14:12: the blocker already ended\n"
		    "`!inc playbook start db-deadlock` runs it again; `!inc "
		    "playbook list` shows the others.");
	effects_release(&fx);
	/* A finished playbook may run again. */
	ok(&s, "playbook start db-deadlock", &fx);
	effects_release(&fx);
	assert_int_equal(f->inc.nruns, 2);
	assert_int_equal(f->inc.runs[1].n, 2);
	assert_int_equal(f->inc.current_run, 2);
}

static void test_step_announce_elsewhere(void **state)
{
	/* Finished from another room: said there and in the channel. */
	struct fixture *f = *state;
	struct effects fx;
	struct sim s;

	sim_in(&s, f, T0 + MIN, &alice);
	ok(&s, "playbook start incident-commander", &fx);
	effects_release(&fx);
	s.room = "#general";
	s.now = T0 + 3 * MIN + 30000;
	ok(&s, "step INC-3 done alice is commander", &fx);
	assert_entry(&fx, 0, s.now, &alice,
		     "incident-commander S1 done: Assign roles — alice is "
		     "commander (took 2 min)");
	assert_entry(&fx, 1, s.now, &alice, "incident-commander finished");
	assert_int_equal(fx.nposts, 3);
	assert_post(&fx, 0, "#general",
		    "✅ S1 of incident-commander done by alice in 2 min — "
		    "evidence: alice is commander");
	assert_post(&fx, 1, "#general",
		    "🏁 incident-commander finished: every step is done or "
		    "skipped.");
	assert_post(&fx, 2, NULL,
		    "🏁 incident-commander finished: every step is done or "
		    "skipped.");
	effects_release(&fx);
}

static void test_two_playbooks(void **state)
{
	struct fixture *f = *state;
	struct effects fx;
	struct sim s;

	sim_in(&s, f, T0 + MIN, &alice);
	ok(&s, "playbook start db-deadlock", &fx);
	effects_release(&fx);
	s.now = T0 + 2 * MIN;
	ok(&s, "playbook start web-errors", &fx);
	effects_release(&fx);
	settle(&f->inc);
	assert_int_equal(f->inc.current_run, 2);

	/* `!inc step` acts on the most recently started. */
	s.now = T0 + 4 * MIN;
	ok(&s, "step done v1.2.3 at 13:50", &fx);
	assert_entry(&fx, 0, s.now, &alice,
		     "web-errors S1 done: Recent deploys — v1.2.3 at 13:50 "
		     "(took 2 min)");
	effects_release(&fx);
	settle(&f->inc);

	/* `!inc playbook show <id>` switches to that run. */
	ok(&s, "playbook show db-deadlock", &fx);
	assert_post(&fx, 0, NULL, step1);
	assert_int_equal(fx.nentries, 0);
	effects_release(&fx);
	assert_int_equal(f->inc.current_run, 1);
	assert_true(f->inc.dirty);
	settle(&f->inc);
	s.now = T0 + 6 * MIN;
	ok(&s, "step skip S1 no deploys today", &fx);
	assert_entry(&fx, 0, s.now, &alice,
		     "db-deadlock S1 skipped: What changed? — no deploys "
		     "today");
	effects_release(&fx);
	/* S<n> is of the current run: db-deadlock has 3 steps. Done ahead
	 * of an open step is refused, with what to do; skipped is not. */
	refused(&s, "step done S3",
		"S2 of db-deadlock is still open: skip it with a reason first "
		"(`!inc step skip S2 <why>`), then `!inc step done S3`");
	ok(&s, "step skip S3 web-errors rolled it back", &fx);
	assert_entry(&fx, 0, s.now, &alice,
		     "db-deadlock S3 skipped: End the blocker or roll back — "
		     "web-errors rolled it back");
	effects_release(&fx);
	refused(&s, "step done S4 x", "db-deadlock has steps S1 to S3");

	/* And back. */
	ok(&s, "playbook show web-errors", &fx);
	assert_non_null(strstr(fx.posts[0].text, "▶ web-errors · S2 of 2: "
						 "Roll back\n"));
	effects_release(&fx);
	assert_int_equal(f->inc.current_run, 2);
	refused(&s, "step done S3 x", "web-errors has steps S1 to S2");
	s.now = T0 + 9 * MIN;
	ok(&s, "step done rolled back", &fx);
	assert_entry(&fx, 0, s.now, &alice,
		     "web-errors S2 done: Roll back — rolled back (took 5 "
		     "min)");
	assert_entry(&fx, 1, s.now, &alice, "web-errors finished");
	effects_release(&fx);

	/* web-errors finished: `!inc step` falls back to the other run. */
	ok(&s, "step done S2", &fx);
	assert_entry(&fx, 0, s.now, &alice,
		     "db-deadlock S2 done: Find the blocker (took 3 min)");
	assert_entry(&fx, 1, s.now, &alice, "db-deadlock finished");
	effects_release(&fx);
	assert_int_equal(f->inc.runs[0].finished, s.now);
	assert_int_equal(f->inc.runs[1].finished, s.now);
	/* A finished playbook is shown as an overview. */
	ok(&s, "playbook show web-errors", &fx);
	assert_post(&fx, 0, f->inc.room,
		    "web-errors — Web errors after a deploy\n"
		    "S1 Recent deploys\n"
		    "S2 Roll back\n"
		    "`!inc playbook start web-errors` runs it.");
	effects_release(&fx);
}

static void test_step_playbook_gone(void **state)
{
	/* A run whose playbook was removed by a reload: still walked, by
	 * the ids and titles it copied, without instructions. */
	struct fixture *f = *state;
	struct pb_library other;
	struct effects fx;
	struct sim s;

	sim_in(&s, f, T0 + MIN, &alice);
	ok(&s, "playbook start db-deadlock", &fx);
	effects_release(&fx);
	{
		static const char *const yamls[] = {pb_web};

		lib_of(&other, yamls, 1);
	}
	s.lib = &other;
	ok(&s, "step done", &fx); /* the evidence rule went with it */
	assert_entry(&fx, 0, s.now, &alice,
		     "db-deadlock S1 done: What changed? (took 0 s)");
	assert_post(
	    &fx, 1, NULL,
	    "▶ db-deadlock · S2 of 3: Find the blocker\n"
	    "`!inc step done S2 [evidence]` · `!inc step skip S2 <why>`");
	effects_release(&fx);
	pb_library_release(&other);
}

/* ---- main ---------------------------------------------------------------- */

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_full),
	    cmocka_unit_test(test_parse_minimal),
	    cmocka_unit_test(test_parse_json),
	    cmocka_unit_test(test_parse_malformed),
	    cmocka_unit_test(test_parse_unknown_keys),
	    cmocka_unit_test(test_parse_duplicates),
	    cmocka_unit_test(test_parse_missing),
	    cmocka_unit_test(test_parse_types),
	    cmocka_unit_test(test_parse_ids),
	    cmocka_unit_test(test_parse_flavor_severity_evidence),
	    cmocka_unit_test(test_parse_nul),
	    cmocka_unit_test(test_parse_aliases),
	    cmocka_unit_test(test_parse_alias_bomb),
	    cmocka_unit_test(test_parse_many_errors),
	    cmocka_unit_test(test_parse_appends_errors),
	    cmocka_unit_test(test_parse_size),
	    cmocka_unit_test(test_library),
	    cmocka_unit_test(test_load_dir),
	    cmocka_unit_test_setup_teardown(test_match_words, match_setup,
					    match_teardown),
	    cmocka_unit_test_setup_teardown(test_match_order, match_setup,
					    match_teardown),
	    cmocka_unit_test_setup_teardown(test_match_utf8, match_setup,
					    match_teardown),
	    cmocka_unit_test_setup_teardown(test_match_long_words, match_setup,
					    match_teardown),
	    cmocka_unit_test(test_match_empty),
	    cmocka_unit_test_setup_teardown(test_suggest_at_declare,
					    engine_setup, engine_teardown),
	    cmocka_unit_test_setup_teardown(test_suggest_on_message,
					    engine_setup, engine_teardown),
	    cmocka_unit_test_setup_teardown(test_suggest_many, engine_setup,
					    engine_teardown),
	    cmocka_unit_test_setup_teardown(test_start_unknown_among_many,
					    engine_setup, engine_teardown),
	    cmocka_unit_test_setup_teardown(test_playbook_list, engine_setup,
					    engine_teardown),
	    cmocka_unit_test_setup_teardown(test_playbook_start, engine_setup,
					    engine_teardown),
	    cmocka_unit_test_setup_teardown(test_playbook_show, engine_setup,
					    engine_teardown),
	    cmocka_unit_test_setup_teardown(test_step_walk, engine_setup,
					    engine_teardown),
	    cmocka_unit_test_setup_teardown(test_step_announce_elsewhere,
					    engine_setup, engine_teardown),
	    cmocka_unit_test_setup_teardown(test_two_playbooks, engine_setup,
					    engine_teardown),
	    cmocka_unit_test_setup_teardown(test_step_playbook_gone,
					    engine_setup, engine_teardown),
	};
	int rc;

	setenv("TZ", "UTC", 1);
	tzset();
	config_defaults(&cfg);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	config_release(&cfg);
	return rc;
}
