/* placeholder so the area library is never empty */
typedef int mamori_flow_placeholder_t;
