/*
 * json.h - reading a platform's JSON with a type check on every field.
 *
 * Slack's frames and Matrix's events are untrusted input: a field is used
 * only when it has the type Scribe expects, else it counts as absent.
 */
#ifndef SCRIBE_CHAT_JSON_H
#define SCRIBE_CHAT_JSON_H

#include <cjson/cJSON.h>

/* o's member key when it is a string / an object / an array, else NULL
 * (also when o is NULL or not an object). */
const char *json_str(const cJSON *o, const char *key);
const cJSON *json_obj(const cJSON *o, const char *key);
const cJSON *json_arr(const cJSON *o, const char *key);

#endif
