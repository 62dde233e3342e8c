/* placeholder so the area library is never empty */
typedef int mamori_query_placeholder_t;
