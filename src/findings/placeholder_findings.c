/* placeholder so the area library is never empty */
typedef int mamori_findings_placeholder_t;
