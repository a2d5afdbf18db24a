/*
 * playbook.c - `scribe playbook lint FILE...` and `scribe playbook
 * snippets FILE --flavor F --out DIR` (see playbooks.h).
 */
#include "util/base.h"
#include "cli/cli.h"
#include "playbooks.h"

int cli_playbook(const struct opts *o)
{
	const char *verb = o->nargs ? o->args[0] : "";

	if (!strcmp(verb, "lint") && o->nargs > 1)
		return playbooks_lint(o->nargs - 1, (char **)o->args + 1,
				      stdout);
	if (!strcmp(verb, "snippets") && o->nargs == 2 && o->flavor && o->out)
		return playbooks_snippets(o->args[1], o->flavor, o->out,
					  stdout);
	return cli_usage_error(cli_find("playbook"));
}
