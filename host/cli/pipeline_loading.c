#include "cli/pipeline_loading.h"

#include "kafka/kafka_conf.h"

int pipeline_load_checked(const char *path, pipeline_config **config, pipeline_plan **plan,
                          config_error *err)
{
    *plan = NULL;
    *config = pipeline_config_load(path, err);
    if (!*config || !(*plan = pipeline_plan_build(*config, err)) ||
        kafka_conf_check(*config, err) != 0) {
        pipeline_plan_free(*plan);
        pipeline_config_free(*config);
        *plan = NULL;
        *config = NULL;
        return -1;
    }
    return 0;
}
