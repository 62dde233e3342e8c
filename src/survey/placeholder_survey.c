/* placeholder so the area library is never empty */
typedef int mamori_survey_placeholder_t;
