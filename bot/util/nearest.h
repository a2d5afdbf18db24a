/*
 * nearest.h - "did you mean ...?" for names typed wrong.
 *
 * Used wherever Scribe rejects an unknown name from a person: config keys,
 * playbook keys, playbook ids.
 */
#ifndef SCRIBE_NEAREST_H
#define SCRIBE_NEAREST_H

#include "base.h"

/* Optimal string alignment distance between a and b; SIZE_MAX when either
 * is too long to compare (64 and 32 bytes). */
size_t edit_distance(const char *a, const char *b);

/* The name of names[0..n) closest to name, if it is close enough to be
 * what was meant (at most a third of its length away, and at least 1);
 * else NULL. */
const char *nearest_name(const char *name, const char *const *names, size_t n);

#endif
