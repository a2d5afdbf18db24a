/*
 * nearest.c - edit distance and the nearest name; see nearest.h.
 */
#include "base.h"
#include "nearest.h"

size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	size_t d[65][33];

	if (la >= ARRAY_SIZE(d) || lb >= ARRAY_SIZE(d[0]))
		return SIZE_MAX;
	for (i = 0; i <= la; i++)
		d[i][0] = i;
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++) {
		for (j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] != b[j - 1];
			size_t v = d[i - 1][j] + 1;

			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < v)
				v = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	}
	return d[la][lb];
}

const char *nearest_name(const char *name, const char *const *names, size_t n)
{
	const char *best = NULL;
	size_t bestd = SIZE_MAX, i, d, limit;

	for (i = 0; i < n; i++) {
		d = edit_distance(name, names[i]);
		if (d < bestd) {
			bestd = d;
			best = names[i];
		}
	}
	if (!best)
		return NULL;
	limit = strlen(best) / 3;
	if (limit < 1)
		limit = 1;
	return bestd <= limit ? best : NULL;
}
