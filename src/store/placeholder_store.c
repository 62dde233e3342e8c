/* placeholder so the area library is never empty */
typedef int mamori_store_placeholder_t;
