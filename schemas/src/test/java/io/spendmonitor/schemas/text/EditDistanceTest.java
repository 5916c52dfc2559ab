package io.spendmonitor.schemas.text;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class EditDistanceTest {

    @Test
    void countsInsertionsDeletionsAndSubstitutions() {
        assertThat(EditDistance.between("spend.window.gracee", "spend.window.grace")).isEqualTo(1); // one deletion
        assertThat(EditDistance.between("input_tokns", "input_tokens")).isEqualTo(1);             // one insertion
        assertThat(EditDistance.between("kitten", "sitting")).isEqualTo(3);  // k->s, e->i, + g
        assertThat(EditDistance.between("", "abc")).isEqualTo(3);
        assertThat(EditDistance.between("same", "same")).isZero();
    }

    @Test
    void aBoundAnswersAtMostOneMoreThanItself() {
        assertThat(EditDistance.between("kitten", "sitting", 2)).isEqualTo(3);
        assertThat(EditDistance.between("kitten", "sitting", 5)).isEqualTo(3);
        // a name 5,000 characters long is answered from the lengths alone
        assertThat(EditDistance.between("x".repeat(5_000), "team", 2)).isEqualTo(3);
    }
}
