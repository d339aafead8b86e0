package dev.normclock.report;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The report's TF32 warning is driven by the runs' stored configs: only "tf32": true counts. */
class StudyReportTf32Test {
    @Test
    void onlyAConfigSayingTf32TrueCounts() {
        assertTrue(StudyReport.tf32("{\"backend\":\"cuda\",\"tf32\":true}"));
        assertFalse(StudyReport.tf32("{\"backend\":\"cuda\",\"tf32\":false}"));
        assertFalse(StudyReport.tf32("{\"backend\":\"cpu\",\"threads\":2}"));
        assertFalse(StudyReport.tf32("{\"name\":\"tf32 in a name\"}"));
        assertFalse(StudyReport.tf32(null));
        assertFalse(StudyReport.tf32("not json, tf32"));
    }
}
